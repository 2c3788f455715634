import NIOCore
import VerbinderCore
import VerbinderProtocol
import VerbinderStore

/// Turns one parsed request into its reply: the command table, the access check, `idem=`,
/// option checks and the handler. No bytes and no channel: the connection handler frames
/// lines and writes what this returns.
struct CommandDispatcher: Sendable {
    let services: Services
    let table: CommandTable

    /// Whether the verb is one of BEGIN, COMMIT and ROLLBACK (``Command/controlsBatch``).
    func controlsBatch(_ verb: String) -> Bool { table.command(for: verb)?.controlsBatch ?? false }

    /// Whether the verb is a command of the table (a bounded label for metrics).
    func knows(_ verb: String) -> Bool { table.command(for: verb) != nil }

    /// The reply to `request` on a connection with `session`, its answer made on `eventLoop`.
    func reply(to request: Request, session: Session, eventLoop: any EventLoop) -> Reply {
        do {
            guard let command = table.command(for: request.verb) else {
                throw ProtocolError(.unknown, "no such command \(Quoting.quote(request.verb)) (try HELP)")
            }
            let form = command.form(for: request)
            try authorize(form.permission, verb: request.verb, session: session)
            var request = request
            let idempotency = try idempotencyKey(&request, command: command, form: form, session: session)
            let options = try command.check(request, as: form)
            let context = CommandContext(services: services, session: session, eventLoop: eventLoop, idempotency: idempotency, options: options)
            if let idempotency {
                return .later(runOnce(command, form, request, context, idempotency))
            }
            return try Self.run(command, form, request, context)
        } catch {
            return .now(Response(error: ErrorMapping.protocolError(error)))
        }
    }

    /// Runs a command's handler; a bare `ERR USAGE` from it gets the usage line of the form
    /// the request took, from the command table.
    private static func run(_ command: Command, _ form: Command.Form, _ request: Request, _ context: CommandContext) throws -> Reply {
        do {
            return try command.handler(request, context)
        } catch let error as ProtocolError where error.code == .usage && error.message.isEmpty {
            throw ProtocolError(.usage, "usage: \(form.usage)")
        }
    }

    /// Takes `idem=` out of a write's options (COMMIT keeps it: there it stands for the batch).
    /// Any other command does not take it (`ERR USAGE unknown option`, as for any option).
    private func idempotencyKey(_ request: inout Request, command: Command, form: Command.Form, session: Session) throws -> IdempotencyKey? {
        guard let key = request.options[IdempotencyKey.option], form.permission == .write,
              !command.controlsBatch else { return nil }
        guard session.batch == nil else {
            throw ProtocolError(.usage, "inside a batch idem= goes on COMMIT, for the whole batch")
        }
        guard IdempotencyKey.isValid(key) else { throw IdempotencyKey.invalid }
        request.options[IdempotencyKey.option] = nil
        request.optionOrder.removeAll { $0 == IdempotencyKey.option }
        return IdempotencyKey(key: key, actor: session.actorName, request: IdempotencyKey.fingerprint(request))
    }

    /// A write with `idem=`: the kept answer if the key has one, else the write (which keeps
    /// its answer in its own transaction).
    private func runOnce(_ command: Command, _ form: Command.Form, _ request: Request, _ context: CommandContext,
                         _ idempotency: IdempotencyKey) -> EventLoopFuture<Response> {
        let format = context.session.format
        let eventLoop = context.eventLoop
        let bound = NIOLoopBound(context, eventLoop: eventLoop)
        return context.future { services.core.writes.keptAnswer(for: idempotency, completion: $0) }.flatMap { kept -> EventLoopFuture<Response> in
            if let kept { return eventLoop.makeCompletedFuture { try idempotency.replay(kept, format: format) } }
            do {
                switch try Self.run(command, form, request, bound.value) {
                case .now(let response): return eventLoop.makeSucceededFuture(response)
                case .later(let future): return future
                case .stream: return eventLoop.makeFailedFuture(ProtocolError(.internalError, "a streamed answer cannot be kept for idem="))
                }
            } catch {
                return eventLoop.makeFailedFuture(error)
            }
        }
    }

    /// Checks the connection's rights for a request. In protected mode (no tokens) a loopback
    /// connection has every right; otherwise the token it authenticated with must still be in
    /// force (a revoked token loses its rights at once) and its role must allow the command.
    private func authorize(_ needed: Permission, verb: String, session: Session) throws {
        if needed == .open { return }
        let access = services.access
        if access.isProtected {
            // Full rights without a token only for loopback clients (or with --insecure-open):
            // revoking the last token must not hand a remote connection everything.
            guard session.isLoopback || access.insecureOpen else {
                throw ProtocolError(.denied, "protected mode: no tokens are defined, so only loopback clients are served")
            }
            session.actorName = "local"
            return
        }
        guard let name = session.tokenName, let role = access.role(of: name) else {
            session.tokenName = nil
            session.role = nil
            throw ProtocolError(.denied, "authentication required (AUTH <token>)")
        }
        session.role = role
        guard role.allows(needed) else {
            throw ProtocolError(.denied, "the \(role.rawValue) role may not run \(verb)")
        }
    }
}
