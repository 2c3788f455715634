import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Prometheus
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderServer
import VerbinderStore

/// A request as the HTTP side needs it: method, target, the headers it reads, and whether the
/// peer is this machine.
public struct WebRequest: Sendable {
    public var method: HTTPMethod
    public var target: String
    public var headers: HTTPHeaders
    public var loopback: Bool
    /// The body: read only by the login form's POST.
    public var body: [UInt8]

    public init(method: HTTPMethod, target: String, headers: HTTPHeaders, loopback: Bool, body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.headers = headers
        self.loopback = loopback
        self.body = body
    }
}

/// The HTTP side's answers, on the daemon's own graph, use cases and tokens: routes, access,
/// calendar feeds, health, metrics and the dashboard pages. No HTTP bytes here: the
/// ``WebServer`` parses and writes; this decides. Nothing is ever written to the database.
public final class WebApplication: Sendable {
    let services: Services
    private let feeds = FeedValidators()
    /// Feed bodies as last built, with the newest change they hold, while nothing changed.
    private let feedBodies = AnswerCache<(body: [UInt8], etag: String, newest: Date?)>(capacity: 5_000)
    private let metrics: WebMetrics
    private let requests = NIOLockedValueBox<[String: Counter]>([:])
    let pages: Dashboard

    public init(services: Services) {
        self.services = services
        metrics = WebMetrics(registry: services.metrics.registry, reminderStates: ReminderStore.states)
        pages = Dashboard(services: services)
    }

    /// The answer to `request`, made on `eventLoop`; database work runs on the pool's threads.
    public func respond(to request: WebRequest, on eventLoop: any EventLoop) -> EventLoopFuture<WebResponse> {
        let route = WebRoute(target: request.target)
        let answer: EventLoopFuture<WebResponse>
        if request.method == .POST, route == .login {
            answer = login(request, on: eventLoop)
        } else if request.method != .GET && request.method != .HEAD {
            // Read-only: nothing is written over HTTP.
            answer = eventLoop.makeSucceededFuture(.text(.methodNotAllowed, "only GET and HEAD: the HTTP side is read-only",
                                                         headers: [("Allow", "GET, HEAD")]))
        } else {
            answer = authorize(route, request, on: eventLoop).flatMap { decision in
                switch decision {
                case .allow(let showEmail): return self.serve(route, request, showEmail: showEmail, on: eventLoop)
                case .unauthorized:
                    var response = route.isPage ? self.pages.signIn(status: .unauthorized, message: nil)
                        : .text(.unauthorized, "a token is needed: Authorization: Bearer <token>")
                    response.headers.append(("WWW-Authenticate", "Bearer realm=\"verbinder\""))
                    return eventLoop.makeSucceededFuture(response)
                case .forbidden(let reason):
                    return eventLoop.makeSucceededFuture(route.isPage ? self.pages.error(.forbidden, reason) : .text(.forbidden, reason))
                }
            }
        }
        return answer.map { response in
            self.count(route, response.status)
            return response
        }
    }

    // MARK: - Access

    private func authorize(_ route: WebRoute, _ request: WebRequest, on eventLoop: any EventLoop) -> EventLoopFuture<WebAccess.Decision> {
        let access = services.access
        let protected = access.isProtected
        let decide = { @Sendable (role: Role?) in
            WebAccess.decide(route: route, protected: protected, insecureOpen: access.insecureOpen, loopback: request.loopback, role: role)
        }
        let query = WebRoute.split(request.target).query
        guard !protected, route != .healthz,
              let token = WebAccess.token(authorization: request.headers.first(name: "Authorization"), query: query,
                                          cookie: request.headers.first(name: "Cookie"), route: route) else {
            return eventLoop.makeSucceededFuture(decide(nil))
        }
        let promise = eventLoop.makePromise(of: WebAccess.Decision.self)
        services.core.tokens.authenticate(token) { result in
            switch result {
            // A token revoked since: AccessControl forgets it on the change notice.
            case .success(let found): promise.succeed(decide(found.flatMap { access.role(of: $0.name) == nil ? nil : $0.role }))
            case .failure(let error): promise.fail(error)
            }
        }
        return promise.futureResult
    }

    // MARK: - Routes

    private func serve(_ route: WebRoute, _ request: WebRequest, showEmail: Bool, on eventLoop: any EventLoop) -> EventLoopFuture<WebResponse> {
        let answer: EventLoopFuture<WebResponse>
        switch route {
        case .healthz: answer = eventLoop.makeSucceededFuture(health())
        case .metrics: answer = scrape(on: eventLoop)
        case .calendar(let scope): answer = calendar(scope, request, showEmail: showEmail, on: eventLoop)
        case .notFound: answer = eventLoop.makeSucceededFuture(pages.notFound(request.target))
        case .login: answer = eventLoop.makeSucceededFuture(pages.signIn(status: .ok, message: nil))
        default: answer = pages.page(route, on: eventLoop)
        }
        return answer.flatMapErrorThrowing { error in
            let mapped = ErrorMapping.protocolError(error)
            switch mapped.code {
            case .notFound, .noPath: return self.pages.error(.notFound, mapped.text.text(.nl))
            case .invalid, .usage, .ambiguous: return self.pages.error(.badRequest, mapped.text.text(.nl))
            case .unavailable, .inDoubt, .busy:
                self.services.metrics.databaseErrors.increment()
                return .text(.serviceUnavailable, "unavailable: \(mapped.message)", headers: [("Retry-After", "5")])
            default:
                self.services.logger.error("HTTP \(request.target) failed: \(error)")
                return .text(.internalServerError, "internal error")
            }
        }
    }

    /// `POST /login` with `token=<token>`: a token that may read the dashboard becomes an
    /// HttpOnly, same-site cookie, and the browser goes to `/`.
    private func login(_ request: WebRequest, on eventLoop: any EventLoop) -> EventLoopFuture<WebResponse> {
        let form = WebRoute.split("?" + String(decoding: request.body, as: UTF8.self)).query
        let token = (form["token"] ?? "").trimmingCharacters(in: .whitespaces)
        let home = WebResponse(status: .seeOther, headers: [("Location", "/")])
        if services.access.isProtected { return eventLoop.makeSucceededFuture(home) }
        guard !token.isEmpty else { return eventLoop.makeSucceededFuture(pages.signIn(status: .unauthorized, message: "Vul een token in.")) }
        let promise = eventLoop.makePromise(of: WebResponse.self)
        let access = services.access, pages = self.pages
        services.core.tokens.authenticate(token) { result in
            switch result {
            case .success(let found?) where access.role(of: found.name) != nil:
                switch WebAccess.decide(route: .dashboard(from: nil, to: nil), protected: false, insecureOpen: false, loopback: request.loopback,
                                        role: found.role) {
                case .allow:
                    var response = home
                    response.headers.append(("Set-Cookie", "verbinder_token=\(token); Path=/; HttpOnly; SameSite=Strict"))
                    promise.succeed(response)
                case .forbidden(let reason): promise.succeed(pages.error(.forbidden, reason))
                case .unauthorized: promise.succeed(pages.signIn(status: .unauthorized, message: "Dit token is niet (meer) geldig."))
                }
            case .success: promise.succeed(pages.signIn(status: .unauthorized, message: "Dit token is niet (meer) geldig."))
            case .failure(let error): promise.fail(error)
            }
        }
        return promise.futureResult
    }

    /// `/healthz`: 200 while the daemon serves, its graph is loaded and PostgreSQL answers; 503
    /// with the reason otherwise. Never more than that: it answers without a token.
    func health() -> WebResponse {
        let database = services.core.databaseStatus
        guard database.up else {
            let since = database.secondsSinceAnswer.map { " (last answer \($0) s ago)" } ?? ""
            return .text(.serviceUnavailable, "down: PostgreSQL does not answer\(since)", headers: [("Cache-Control", "no-store")])
        }
        guard services.sync.secondsSinceCaughtUp != nil else {
            return .text(.serviceUnavailable, "down: the graph is still loading", headers: [("Cache-Control", "no-store")])
        }
        return .text(.ok, "up", headers: [("Cache-Control", "no-store")])
    }

    private func scrape(on eventLoop: any EventLoop) -> EventLoopFuture<WebResponse> {
        let finish = { @Sendable (reminders: [String: Int]?) -> WebResponse in
            self.metrics.update(services: self.services, reminders: reminders)
            return WebResponse(status: .ok, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8"), ("Cache-Control", "no-store")],
                               body: self.metrics.text())
        }
        // With the database down the scrape still answers at once, from what the daemon knows.
        guard services.core.databaseStatus.up else { return eventLoop.makeSucceededFuture(finish(nil)) }
        let promise = eventLoop.makePromise(of: [String: Int]?.self)
        services.core.monitoring.remindersByState { promise.succeed(try? $0.get()) }
        return promise.futureResult.map(finish)
    }

    /// A calendar feed: the same RFC 5545 text as `EXPORT ics`, with validators for cheap polling.
    private func calendar(_ scope: WebRoute.CalendarScope, _ request: WebRequest, showEmail: Bool,
                          on eventLoop: any EventLoop) -> EventLoopFuture<WebResponse> {
        let trajectory: String?, node: String?
        switch scope {
        case .all: (trajectory, node) = (nil, nil)
        case .trajectory(let key): (trajectory, node) = (key, nil)
        case .node(let text):
            do { (trajectory, node) = (nil, try services.graph.read { try $0.require(text).key }) } catch {
                return eventLoop.makeFailedFuture(error)
            }
        }
        let path = WebRoute.split(request.target).path
        let key = "\(path) \(showEmail)"
        let stamp = services.answerStamp
        let built: EventLoopFuture<(body: [UInt8], etag: String, newest: Date?)>
        if let kept = feedBodies.value(key, version: stamp.version, today: stamp.today) {
            built = eventLoop.makeSucceededFuture(kept)
        } else {
            let promise = eventLoop.makePromise(of: CalendarDocument.Written.self)
            services.core.monitoring.calendarDocument(trajectory: trajectory, node: node, showEmail: showEmail, lineEnd: .crlf) {
                promise.completeWith($0)
            }
            let feedBodies = self.feedBodies
            built = promise.futureResult.map { written in
                let feed = (body: written.bytes, etag: FeedValidators.etag(written.bytes),
                            newest: written.newestStamp.map { Date(timeIntervalSince1970: TimeInterval($0)) })
                feedBodies.keep(key, version: stamp.version, today: stamp.today, feed)
                return feed
            }
        }
        return built.map { body, etag, newest in
            let (etag, modified) = self.feeds.validators(key: key, etag: etag, newestStamp: newest)
            let validators = [("ETag", etag), ("Last-Modified", HTTPDate.format(modified)), ("Cache-Control", "private, no-cache")]
            if FeedValidators.notModified(ifNoneMatch: request.headers.first(name: "If-None-Match"),
                                          ifModifiedSince: request.headers.first(name: "If-Modified-Since"), etag: etag, modified: modified) {
                return WebResponse(status: .notModified, headers: validators)
            }
            let name = path.split(separator: "/").last.map(String.init) ?? "verbinder.ics"
            return WebResponse(status: .ok, headers: [("Content-Type", "text/calendar; charset=utf-8"),
                                                      ("Content-Disposition", "inline; filename=\"\(name)\"")] + validators, body: body)
        }
    }

    // MARK: - Counting

    private func count(_ route: WebRoute, _ status: HTTPResponseStatus) {
        let label: String
        switch route {
        case .healthz: label = "healthz"
        case .metrics: label = "metrics"
        case .calendar: label = "calendar"
        case .dashboard: label = "dashboard"
        case .regions: label = "regions"
        case .node: label = "node"
        case .trajectory: label = "trajectory"
        case .search: label = "search"
        case .login: label = "login"
        case .notFound: label = "other"
        }
        let key = "\(label) \(status.code)"
        let registry = services.metrics.registry
        requests.withLockedValue { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(descriptor: ServerMetrics.metric("http_requests", "total", "HTTP requests answered, by route and status."),
                                               labels: [("route", label), ("status", "\(status.code)")])
            counters[key] = counter
            return counter
        }.increment()
    }
}
