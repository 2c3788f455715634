import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One request line as the connection handler receives it.
enum InboundLine {
    /// A complete request line, without LF and without a CR before it.
    case line(ByteBuffer)
    /// A line longer than the limit ended; its bytes were discarded.
    case tooLong
}

/// Splits the byte stream at LF with a length cap, discarding an over-long line up to its
/// end instead of failing the connection, so the client gets `ERR TOOLONG` and can go on.
/// Memory held per connection stays below the cap however the client behaves.
///
/// The connection handler feeds it every read and takes the lines out itself (rather than a
/// `ByteToMessageHandler` in front of it): one pipeline step per read instead of one per
/// line, which is most of the cost of a pipelined `PING`.
struct LineSplitter {
    let maximumLength: Int
    /// Bytes received and not yet split off.
    private var buffer: ByteBuffer?
    private var discarding = false
    /// Bytes at the front of `buffer` already searched for LF (a slow line is not rescanned).
    private var scanned = 0

    init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    /// Adds bytes read from the socket.
    mutating func append(_ incoming: ByteBuffer) {
        var incoming = incoming
        if var rest = buffer, rest.readableBytes > 0 {
            // Only a partial line is left over: copy it, not the whole earlier read whose
            // storage the lines handed out still share.
            var joined = ByteBufferAllocator().buffer(capacity: rest.readableBytes + incoming.readableBytes)
            joined.writeBuffer(&rest)
            joined.writeBuffer(&incoming)
            buffer = joined
        } else {
            buffer = incoming
            scanned = 0
        }
    }

    /// Bytes received and not yet handed out as lines.
    var bufferedBytes: Int { buffer?.readableBytes ?? 0 }

    /// Whether a line has started and not ended: bytes without LF are buffered, or an
    /// over-long line is being discarded. (Complete lines may be buffered before it.)
    var holdsPartialLine: Bool { discarding || bufferedBytes > 0 }

    /// Whether a complete line is buffered (``nextLine()`` would return one). Searches only
    /// the bytes not searched before.
    mutating func hasLine() -> Bool {
        guard let bytes = buffer else { return false }
        let found: Bool = bytes.withUnsafeReadableBytes { raw in
            guard raw.count > scanned, let base = raw.baseAddress else { return false }
            return memchr(base + scanned, 0x0A, raw.count - scanned) != nil
        }
        if !found { scanned = bytes.readableBytes }
        return found
    }

    /// The next complete line, or nil until more bytes arrive.
    mutating func nextLine() -> InboundLine? {
        guard var bytes = buffer else { return nil }
        buffer = nil  // mutate it uniquely referenced, put it back below
        defer { if bytes.readableBytes > 0 { buffer = bytes } }
        let newline: Int? = bytes.withUnsafeReadableBytes { raw in
            guard raw.count > scanned, let base = raw.baseAddress,
                  let found = memchr(base + scanned, 0x0A, raw.count - scanned) else { return nil }
            return base.distance(to: UnsafeRawPointer(found))
        }
        if let length = newline {
            scanned = 0
            if discarding || length > maximumLength + 1 {
                bytes.moveReaderIndex(forwardBy: length + 1)
                discarding = false
                return .tooLong
            }
            var line = bytes.readSlice(length: length)!
            bytes.moveReaderIndex(forwardBy: 1)
            Self.stripCarriageReturn(&line)
            return line.readableBytes > maximumLength ? .tooLong : .line(line)
        }
        if bytes.readableBytes > maximumLength + 1 {
            // Over the cap with no end in sight: drop what we have and remember to skip to LF.
            bytes.moveReaderIndex(forwardBy: bytes.readableBytes)
            discarding = true
            scanned = 0
        } else {
            scanned = bytes.readableBytes
        }
        return nil
    }

    /// At the end of the input: what is left is a last request, even without LF.
    mutating func finish() -> InboundLine? {
        defer {
            buffer = nil
            scanned = 0
            discarding = false
        }
        if discarding { return .tooLong }
        guard var bytes = buffer, bytes.readableBytes > 0 else { return nil }
        var line = bytes.readSlice(length: bytes.readableBytes)!
        Self.stripCarriageReturn(&line)
        return line.readableBytes > maximumLength ? .tooLong : .line(line)
    }

    private static func stripCarriageReturn(_ line: inout ByteBuffer) {
        if line.readableBytes > 0, line.getInteger(at: line.writerIndex - 1, as: UInt8.self) == UInt8(ascii: "\r") {
            line.moveWriterIndex(to: line.writerIndex - 1)
        }
    }
}
