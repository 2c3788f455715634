import VerbinderText

/// A complete answer to one request: data lines, then one status line.
public struct Response: Sendable {
    public var records: [Record]
    public var outcome: Result<Status, ProtocolError>
    /// Close the connection after sending (QUIT, BUSY).
    public var closesConnection: Bool
    /// The whole answer already rendered (from ``RenderCache``), in `renderedFormat`.
    public private(set) var rendered: [UInt8]?
    public private(set) var renderedFormat: OutputFormat?

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
    public init(rendered: [UInt8], format: OutputFormat) {
        self.records = []
        self.outcome = .success(.ok)
        self.closesConnection = false
        self.rendered = rendered
        self.renderedFormat = format
    }

    /// The whole answer as bytes: its data lines, then its status line (an error's message in
    /// `language`).
    public func render(_ format: OutputFormat, language: Language = .en) -> [UInt8] {
        if let rendered, renderedFormat == format { return rendered }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(records.count * 96 + 32)
        for record in records {
            format.write(record, into: &bytes)
            bytes.append(UInt8(ascii: "\n"))
        }
        switch outcome {
        case .success(let status): bytes += status.line.utf8
        case .failure(let error): bytes += error.statusLine(in: language).utf8
        }
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }
}

