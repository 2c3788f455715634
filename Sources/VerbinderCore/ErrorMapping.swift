import PQ
import VerbinderProtocol
import VerbinderText
import VerbinderStore

/// The one place that turns any error into the protocol's `ERR` codes.
public enum ErrorMapping {
    public static func protocolError(_ error: any Error) -> ProtocolError {
        switch error {
        case let error as ProtocolError:
            return error
        case let error as PQError:
            if error.kind == .poolExhausted {
                return ProtocolError(.busy, "every database connection is busy; try again (\(error.message))")
            }
            if error.isQueryCanceled { return ProtocolError(.unavailable, "timeout: the database took too long") }
            if error.isUnavailable { return ProtocolError(.unavailable, "database unavailable: \(firstLine(error.message))") }
            if error.isUniqueViolation { return ProtocolError(.conflict, "already exists\(detail(error))") }
            switch error.sqlState {
            case "23503": return ProtocolError(.conflict, "still referenced or refers to something missing\(detail(error))")
            case "23514", "23502", "22P02", "22023": return ProtocolError(.invalid, Message(verbatim: firstLine(error.message)))
            // Input the checks before the SQL should have caught: named, never INTERNAL.
            case "22007": return ProtocolError(.invalid, "malformed date or time")
            case "22008": return ProtocolError(.invalid, "date or time out of range (years 1900 to 9999)")
            case "22009": return ProtocolError(.invalid, "UTC offset out of range (-14:00 to +14:00)")
            case "22P05": return ProtocolError(.invalid, "a value holds a character that cannot be stored (NUL)")
            case "22001": return ProtocolError(.tooLong, "a value is longer than its field allows (see Limits)")
            case "54000": return ProtocolError(.tooLong, "a value is too long to store or index (see Limits)")
            case "40001", "40P01": return ProtocolError(.conflict, "concurrent change, try again")
            default: return ProtocolError(.internalError, "database error \(error.sqlState)")
            }
        case let error as StoreError:
            return ProtocolError(.internalError, Message(verbatim: error.description))
        default:
            return ProtocolError(.internalError, Message(verbatim: String(describing: error)))
        }
    }

    private static func detail(_ error: PQError) -> String {
        guard let detail = error.detail, !detail.isEmpty else { return "" }
        return ": " + firstLine(detail)
    }

    private static func firstLine(_ text: String) -> String {
        String(text.split(separator: "\n").first ?? "")
    }
}
