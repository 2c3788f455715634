import NIOCore
import NIOHTTP1
import VerbinderServer

/// The read-only dashboard for people: gathers what a page shows from the graph and the use
/// cases, and has it rendered.
struct Dashboard: Sendable {
    let services: Services

    func page(_ route: WebRoute, showEmail: Bool, on eventLoop: any EventLoop) -> EventLoopFuture<WebResponse> {
        eventLoop.makeSucceededFuture(notFound(""))
    }

    func notFound(_ target: String) -> WebResponse { error(.notFound, "Deze pagina bestaat niet.") }

    func error(_ status: HTTPResponseStatus, _ message: String) -> WebResponse {
        var response = WebResponse.text(status, message)
        response.status = status
        return response
    }
}
