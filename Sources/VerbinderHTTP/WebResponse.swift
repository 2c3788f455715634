import NIOHTTP1

/// One HTTP answer: status, headers and the whole body (feeds and pages are small enough to
/// build in memory; none is streamed).
public struct WebResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: HTTPResponseStatus, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A plain-text answer (errors, `/healthz`), one line ended by a newline.
    public static func text(_ status: HTTPResponseStatus, _ text: String, headers: [(String, String)] = []) -> WebResponse {
        WebResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")] + headers, body: Array((text + "\n").utf8))
    }

    /// An HTML page.
    public static func html(_ page: String) -> WebResponse {
        WebResponse(status: .ok, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(page.utf8))
    }
}
