import PQ
import VerbinderProtocol
import VerbinderStore

/// Who a connection is (tokens) and what was written by whom (the audit trail).
public final class TokenService: Sendable {
    let pool: ConnectionPool

    init(pool: ConnectionPool) { self.pool = pool }

    /// The token in force that `token` is, with its role; nil for none (or a revoked one).
    public func authenticate(_ token: String, completion: @escaping Completion<(name: String, role: Role)?>) {
        pool.withConnection({ connection in
            guard let found = try TokenStore.lookup(connection, token: token), let role = Role(rawValue: found.role) else { return nil }
            return (found.name, role)
        }, completion: completion)
    }

    /// The audit trail, newest first.
    public func audit(node: String?, since: String?, actor: String?, limit: Int,
                      completion: @escaping Completion<[(id: Int, at: String, actor: String, remote: String?, connection: String?, command: String, changes: String)]>) {
        pool.withConnection({ try TokenStore.audit($0, node: node, since: since, actor: actor, limit: limit) }, completion: completion)
    }
}
