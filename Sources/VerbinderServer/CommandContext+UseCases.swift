import NIOCore
import VerbinderCore
import VerbinderProtocol
import VerbinderStore

extension CommandContext {
    /// Who this connection writes as.
    var actor: Actor { Actor(name: session.actorName, remote: session.remote, connection: session.id, daemon: services.sync.instance) }

    /// The use cases.
    var core: UseCases { services.core }

    /// Whether this connection may see people's e-mail addresses: personal data goes only to
    /// the roles that need it (and to everyone on a daemon in protected mode, where only this
    /// machine connects).
    var seesPersonalData: Bool { services.access.isProtected || session.role?.seesPersonalData == true }

    /// Where a write of `request` goes: this connection's actor, its `idem=` key, its open batch.
    func scope(_ request: Request) -> WriteScope {
        WriteScope(actor: actor, command: request.line, idempotency: idempotency, transaction: session.batch?.transaction)
    }

    /// Runs a use case's write of `request`: `start` gets its scope and the completion. While it
    /// runs in the connection's batch, the batch counts as busy (never rolled back for idling).
    func write(_ request: Request, _ start: (WriteScope, @escaping Completion<Response>) -> Void) -> Reply {
        let scope = scope(request)
        guard let batch = session.batch else { return .later(future { start(scope, $0) }) }
        batch.running = true
        let bound = NIOLoopBound(batch, eventLoop: eventLoop)
        return .later(future { start(scope, $0) }.always { _ in
            bound.value.running = false
            bound.value.lastActivity = .now()
        })
    }

    /// A use case's result as a future on this connection's event loop.
    func future<T: Sendable>(_ start: (@escaping Completion<T>) -> Void) -> EventLoopFuture<T> {
        let promise = eventLoop.makePromise(of: T.self)
        start { promise.completeWith($0) }
        return promise.futureResult
    }
}
