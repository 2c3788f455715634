import NIOCore
import VerbinderCore
import VerbinderProtocol
import VerbinderText

extension Response {
    /// Writes the response into `buffer` in the connection's format and language.
    func write(to buffer: inout ByteBuffer, format: OutputFormat, language: Language = .en) {
        buffer.writeBytes(render(format, language: language))
    }
}

/// What a command handler returns: an answer now (in-memory commands), later (database work),
/// or as a stream (answers too large to build whole).
public enum Reply: Sendable {
    case now(Response)
    case later(EventLoopFuture<Response>)
    case stream(ResponseStream)
}

/// An answer written a chunk at a time, only as fast as the client reads it (back-pressure:
/// the next chunk is made when the socket can take it), then its status line.
/// Used on one connection's event loop only.
public final class ResponseStream: @unchecked Sendable {
    let nextChunk: () -> [Record]?
    let status: (_ records: Int) -> Status
    var count = 0

    public init(nextChunk: @escaping () -> [Record]?, status: @escaping (_ records: Int) -> Status) {
        self.nextChunk = nextChunk
        self.status = status
    }
}
