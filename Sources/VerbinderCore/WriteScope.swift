import VerbinderStore

/// Who writes, and where: what every write of a use case needs besides its own values.
public struct WriteScope: Sendable {
    /// Who writes, for the audit (its write id is drawn per write by the coordinator).
    public var actor: Actor
    /// The request line, for the audit. Callers pass a redacted line when the request holds
    /// personal data (a contact's e-mail address).
    public var command: String
    /// The request's `idem=` key: its answer is kept in the write's own transaction.
    public var idempotency: IdempotencyKey?
    /// The open `BEGIN … COMMIT` the write belongs to, if any.
    public var transaction: OpenTransaction?

    public init(actor: Actor, command: String, idempotency: IdempotencyKey? = nil, transaction: OpenTransaction? = nil) {
        self.actor = actor
        self.command = command
        self.idempotency = idempotency
        self.transaction = transaction
    }

    /// The same scope with another audit line.
    public func auditing(_ command: String?) -> WriteScope {
        guard let command else { return self }
        var scope = self
        scope.command = command
        return scope
    }
}
