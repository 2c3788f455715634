import PQ
import VerbinderProtocol
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
            switch error.sqlState {
            case "23505": return ProtocolError(.conflict, "already exists" + detail(error))
            case "23503": return ProtocolError(.conflict, "still referenced or refers to something missing" + detail(error))
            case "23514", "23502", "22007", "22008", "22P02", "22023": return ProtocolError(.invalid, firstLine(error.message))
            case "40001", "40P01": return ProtocolError(.conflict, "concurrent change, try again")
            default: return ProtocolError(.internalError, "database error \(error.sqlState)")
            }
        case let error as StoreError:
            return ProtocolError(.internalError, error.description)
        default:
            return ProtocolError(.internalError, String(describing: error))
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
