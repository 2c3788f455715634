import NIOCore
import VerbinderProtocol

/// A complete answer to one request: data lines, then one status line.
public struct Response: Sendable {
    public var records: [Record]
    public var outcome: Result<Status, ProtocolError>
    /// Close the connection after sending (QUIT, BUSY).
    public var closesConnection: Bool
    /// The whole answer already rendered (from ``RenderCache``), in `renderedFormat`.
    var rendered: [UInt8]?
    var renderedFormat: OutputFormat?

    public init(records: [Record] = [], status: Status = .ok, closesConnection: Bool = false) {
        self.records = records
        self.outcome = .success(status)
        self.closesConnection = closesConnection
    }

    public init(error: ProtocolError, closesConnection: Bool = false) {
        self.records = error.records
        self.outcome = .failure(error)
        self.closesConnection = closesConnection
    }

    /// A successful answer rendered earlier in `format`.
    init(rendered: [UInt8], format: OutputFormat) {
        self.records = []
        self.outcome = .success(.ok)
        self.closesConnection = false
        self.rendered = rendered
        self.renderedFormat = format
    }

    /// Writes the response into `buffer` in the connection's format.
    func write(to buffer: inout ByteBuffer, format: OutputFormat) {
        if let rendered, renderedFormat == format {
            buffer.writeBytes(rendered)
        } else {
            buffer.writeBytes(render(format))
        }
    }

    /// The whole answer as bytes: its data lines, then its status line.
    func render(_ format: OutputFormat) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(records.count * 96 + 32)
        for record in records {
            format.write(record, into: &bytes)
            bytes.append(UInt8(ascii: "\n"))
        }
        switch outcome {
        case .success(let status): bytes += status.line.utf8
        case .failure(let error): bytes += error.statusLine.utf8
        }
        bytes.append(UInt8(ascii: "\n"))
        return bytes
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
