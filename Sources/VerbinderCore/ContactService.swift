import PQ
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// The people of the graph: contacts with their function and portfolio, whom to invite, and
/// erasing a person everywhere. The audit keeps no name or address of a contact write.
public final class ContactService: Sendable {
    let writes: WriteCoordinator

    init(writes: WriteCoordinator) { self.writes = writes }

    /// Attaches a contact person to a node; the answer gets its id.
    public func add(node: String, name: String, email: String, role: String?, function: ContactFunction, themes: [String],
                    _ scope: WriteScope, answer: @escaping Answer<Int>, completion: @escaping Completion<Response>) {
        writes.commit(scope.auditing("CONTACT ADD \(node) <name> <email>"), audit: ["node": node, "action": "contact add"], sql: { tx in
            try ContactStore.add(tx, node: node, name: name, email: email, role: role, function: function, themes: themes)
        }, answer: answer, completion: completion)
    }

    /// Changes a contact's name, address, role, function or portfolio.
    public func set(_ id: Int, _ change: ContactChange, _ scope: WriteScope, answer: @escaping Answer<Void>,
                    completion: @escaping Completion<Response>) {
        writes.commit(scope.auditing("CONTACT SET \(id) <changes>"), audit: ["contact": String(id), "action": "contact set"], sql: { tx in
            guard try ContactStore.set(tx, id: id, change) else { throw ProtocolError(.notFound, "no contact \(id)") }
        }, answer: answer, completion: completion)
    }

    /// Removes a contact.
    public func remove(_ id: Int, _ scope: WriteScope, answer: @escaping Answer<Void>, completion: @escaping Completion<Response>) {
        writes.commit(scope, audit: ["contact": String(id), "action": "contact remove"], sql: { tx in
            guard try ContactStore.remove(tx, id: id) else { throw ProtocolError(.notFound, "no contact \(id)") }
        }, answer: answer, completion: completion)
    }

    /// Erases a person everywhere (``ContactStore/forget(_:email:)``); the answer gets how many
    /// contacts went. The audit keeps that it happened, not the address.
    public func forget(email: String, _ scope: WriteScope, answer: @escaping Answer<Int>, completion: @escaping Completion<Response>) {
        writes.commit(scope.auditing("CONTACT FORGET <email>"), audit: ["action": "contact forget"], sql: { tx in
            try ContactStore.forget(tx, email: email)
        }, answer: answer, completion: completion)
    }

    /// Contacts across the graph by node, function and portfolio theme, and how many match.
    public func find(node: String?, function: ContactFunction?, theme: String?, limit: Int,
                     completion: @escaping Completion<(contacts: [Contact], total: Int)>) {
        writes.read({ try ContactStore.find($0, node: node, function: function, theme: theme, limit: limit) }, completion: completion)
    }
}
