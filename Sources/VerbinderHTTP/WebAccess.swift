import VerbinderCore

/// Who may read what over HTTP, by the same tokens and roles as the line protocol. Pure: the
/// token has been looked up before ``decide(route:protected:insecureOpen:loopback:role:)``.
public enum WebAccess {
    /// The outcome for one request.
    public enum Decision: Equatable, Sendable {
        /// Served; `showEmail`: contacts' addresses may be shown (a connector's or admin's token,
        /// or protected mode on this machine).
        case allow(showEmail: Bool)
        /// 401: no token, or not one in force.
        case unauthorized
        /// 403, with the reason.
        case forbidden(String)
    }

    /// The decision for `route`. `role`: the role of the token the request carried (nil for
    /// none or an unknown one); `protected`: no token exists, so only this machine is served.
    public static func decide(route: WebRoute, protected: Bool, insecureOpen: Bool, loopback: Bool, role: Role?) -> Decision {
        // Up or down, and why: for probes and load balancers, which carry no token.
        if route == .healthz { return .allow(showEmail: false) }
        if protected {
            if loopback { return .allow(showEmail: true) }
            return insecureOpen ? .allow(showEmail: false)
                : .forbidden("protected mode: no access token exists, so only this machine is served")
        }
        guard let role else { return .unauthorized }
        switch role {
        case .feed:
            return route.isFeed ? .allow(showEmail: false) : .forbidden("a feed token reads calendar feeds only")
        case .sender:
            return .forbidden("a sender token claims and acknowledges reminders only")
        case .reader, .connector, .admin:
            return .allow(showEmail: role.seesPersonalData)
        }
    }

    /// The token a request carries: `Authorization: Bearer <token>`, else `?token=` on a calendar
    /// feed (calendar clients cannot send headers), else the dashboard's `verbinder_token` cookie.
    public static func token(authorization: String?, query: [String: String], cookie: String?, route: WebRoute) -> String? {
        if let authorization {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return parts[1].trimmingSpaces() }
        }
        if route.isFeed, let token = query["token"], !token.isEmpty { return token }
        if let cookie {
            for pair in cookie.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingSpaces() == "verbinder_token" { return parts[1].trimmingSpaces() }
            }
        }
        return nil
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
