import NIOCore

/// What the line decoder hands to the connection handler.
enum InboundLine {
    /// A complete request line, without LF and without a CR before it.
    case line(ByteBuffer)
    /// A line longer than the limit ended; its bytes were discarded.
    case tooLong
}

/// Splits the byte stream at LF with a length cap, discarding an over-long line up to its
/// end instead of failing the connection, so the client gets `ERR TOOLONG` and can go on.
/// Memory held per connection stays below the cap however the client behaves.
struct LineDecoder: ByteToMessageDecoder {
    typealias InboundOut = InboundLine

    let maximumLength: Int
    private var discarding = false
    /// Bytes already scanned for LF in the current buffer (avoids rescanning on each read).
    private var scanned = 0

    init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        if let newline = view[(view.startIndex + scanned)...].firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - view.startIndex
            scanned = 0
            if discarding || length > maximumLength + 1 {
                buffer.moveReaderIndex(forwardBy: length + 1)
                discarding = false
                context.fireChannelRead(wrapInboundOut(.tooLong))
                return .continue
            }
            var line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            if line.readableBytes > 0, line.getInteger(at: line.writerIndex - 1, as: UInt8.self) == UInt8(ascii: "\r") {
                line.moveWriterIndex(to: line.writerIndex - 1)
            }
            if line.readableBytes > maximumLength {
                context.fireChannelRead(wrapInboundOut(.tooLong))
            } else {
                context.fireChannelRead(wrapInboundOut(.line(line)))
            }
            return .continue
        }
        if buffer.readableBytes > maximumLength + 1 {
            // Over the cap with no end in sight: drop what we have and remember to skip to LF.
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            discarding = true
            scanned = 0
        } else {
            scanned = buffer.readableBytes
        }
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        scanned = 0
        if discarding {
            discarding = false
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            context.fireChannelRead(wrapInboundOut(.tooLong))
        } else if buffer.readableBytes > 0 {
            // A last line without LF is still a request.
            var line = buffer.readSlice(length: buffer.readableBytes)!
            if line.getInteger(at: line.writerIndex - 1, as: UInt8.self) == UInt8(ascii: "\r") {
                line.moveWriterIndex(to: line.writerIndex - 1)
            }
            context.fireChannelRead(wrapInboundOut(.line(line)))
        }
        return .needMoreData
    }
}
