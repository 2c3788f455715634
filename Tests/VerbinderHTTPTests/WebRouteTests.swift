import Foundation
import Testing
@testable import VerbinderHTTP
import VerbinderCore

/// Routes, access and feed validators: the HTTP side's rules without a socket.
@Suite("HTTP routes and access")
struct WebRouteTests {
    @Test func pathsBecomeRoutes() {
        #expect(WebRoute(target: "/healthz") == .healthz)
        #expect(WebRoute(target: "/metrics?x=1") == .metrics)
        #expect(WebRoute(target: "/calendar/trajectory/ka-twente.ics") == .calendar(.trajectory("ka-twente")))
        #expect(WebRoute(target: "/calendar/node/S%C3%BAdwest-Frysl%C3%A2n.ics?token=abc") == .calendar(.node("Súdwest-Fryslân")))
        #expect(WebRoute(target: "/calendar/all.ics") == .calendar(.all))
        #expect(WebRoute(target: "/calendar/all") == .notFound)
        #expect(WebRoute(target: "/calendar/trajectory/.ics") == .notFound)
        #expect(WebRoute(target: "/calendar/other/x.ics") == .notFound)
        #expect(WebRoute(target: "/") == .dashboard(from: nil, to: nil))
        #expect(WebRoute(target: "/?from=2026-01-01&to=") == .dashboard(from: "2026-01-01", to: nil))
        #expect(WebRoute(target: "/node/GM1731") == .node("GM1731"))
        #expect(WebRoute(target: "/trajectory/ka-twente/") == .trajectory("ka-twente"))
        #expect(WebRoute(target: "/search?q=s%C3%BAdwest+frysl%C3%A2n") == .search("súdwest fryslân"))
        #expect(WebRoute(target: "/search") == .search(""))
        #expect(WebRoute(target: "/node/a/b") == .notFound)
        #expect(WebRoute.percentDecoded("100%") == "100%" && WebRoute.percentDecoded("%zz") == "%zz")
    }

    @Test func accessFollowsTokensAndProtectedMode() {
        let node = WebRoute.node("GM1731"), feed = WebRoute.calendar(.all)
        func decide(_ route: WebRoute, protected: Bool = false, loopback: Bool = true, role: Role?) -> WebAccess.Decision {
            WebAccess.decide(route: route, protected: protected, insecureOpen: false, loopback: loopback, role: role)
        }
        #expect(decide(.healthz, protected: true, loopback: false, role: nil) == .allow(showEmail: false))
        #expect(decide(.healthz, role: nil) == .allow(showEmail: false))
        #expect(decide(node, protected: true, role: nil) == .allow(showEmail: true))
        if case .forbidden = decide(node, protected: true, loopback: false, role: nil) {} else { Issue.record("a remote peer in protected mode") }
        #expect(decide(node, role: nil) == .unauthorized)
        #expect(decide(.metrics, role: .reader) == .allow(showEmail: false))
        #expect(decide(feed, role: .connector) == .allow(showEmail: true))
        #expect(decide(feed, role: .feed) == .allow(showEmail: false))
        if case .forbidden = decide(node, role: .feed) {} else { Issue.record("a feed token on a page") }
        if case .forbidden = decide(.metrics, role: .sender) {} else { Issue.record("a sender token on metrics") }
    }

    @Test func theTokenComesFromTheHeaderTheFeedURLOrTheCookie() {
        let feed = WebRoute.calendar(.all)
        #expect(WebAccess.token(authorization: "Bearer  abc ", query: [:], cookie: nil, route: .metrics) == "abc")
        #expect(WebAccess.token(authorization: "Basic abc", query: [:], cookie: nil, route: .metrics) == nil)
        #expect(WebAccess.token(authorization: nil, query: ["token": "f"], cookie: nil, route: feed) == "f")
        #expect(WebAccess.token(authorization: nil, query: ["token": "f"], cookie: nil, route: .metrics) == nil)
        #expect(WebAccess.token(authorization: nil, query: [:], cookie: "a=b; verbinder_token=c", route: .regions) == "c")
    }

    @Test func validatorsChangeWithTheBodyAndAnswerConditionalRequests() throws {
        let validators = FeedValidators()
        let stamp = Date(timeIntervalSince1970: 1_790_000_000)
        let first = validators.validators(key: "/a", body: Array("one".utf8), newestStamp: stamp)
        #expect(first.modified == stamp)
        #expect(validators.validators(key: "/a", body: Array("one".utf8), newestStamp: nil) == first)
        let second = validators.validators(key: "/a", body: Array("two".utf8), newestStamp: stamp)
        #expect(second.etag != first.etag && second.modified > stamp)
        #expect(FeedValidators.notModified(ifNoneMatch: "\"x\", \(second.etag)", ifModifiedSince: nil, etag: second.etag, modified: second.modified))
        #expect(!FeedValidators.notModified(ifNoneMatch: first.etag, ifModifiedSince: HTTPDate.format(second.modified),
                                            etag: second.etag, modified: second.modified))
        #expect(FeedValidators.notModified(ifNoneMatch: nil, ifModifiedSince: HTTPDate.format(stamp), etag: first.etag, modified: stamp))
        #expect(!FeedValidators.notModified(ifNoneMatch: nil, ifModifiedSince: "yesterday", etag: first.etag, modified: stamp))
        #expect(HTTPDate.format(stamp) == "Mon, 21 Sep 2026 14:13:20 GMT")
    }
}
