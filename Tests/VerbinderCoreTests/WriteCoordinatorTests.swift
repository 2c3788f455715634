import Testing
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// The write path without a socket: what a use case's completion reports is committed in
/// PostgreSQL, applied in memory and audited; transactions show in memory only once committed.
@Suite("Write path against PostgreSQL")
struct WriteCoordinatorTests {
    @Test func aWriteIsCommittedAppliedAndAuditedBeforeItCompletes() async throws {
        let fixture = try Fixture("write")
        try await fixture.addRegions(["r1", "r2"])
        let relation = Relation(from: "r1", kind: .worksWith, to: "r2").canonical
        let answer = Response(status: Status([("axis", .string("horizontal"))]))
        let response = try await call { fixture.core.graphChanges.link(relation, fixture.scope, answer: answer, completion: $0) }
        #expect(String(decoding: response.render(.text), as: UTF8.self) == "OK axis=horizontal\n")
        #expect(fixture.core.graph.read { $0.contains(relation) })
        #expect(try fixture.count("SELECT count(*) FROM relations WHERE from_key = 'r1' AND to_key = 'r2'") == 1)
        // Every write has its audit row, with who wrote it and a write id of this daemon.
        #expect(try fixture.count("SELECT count(*) FROM audit WHERE actor = 'tester' AND write_id LIKE $1", [fixture.core.sync.instance + "-%"]) == 3)
    }

    @Test func concurrentLinksAreEachCommittedAndADuplicateIsRefused() async throws {
        let fixture = try Fixture("links")
        let keys = (0..<41).map { "n\($0)" }
        try await fixture.addRegions(keys)
        let relations = keys.dropFirst().map { Relation(from: "n0", kind: .partnerOf, to: $0).canonical }
        let duplicate = relations[7]
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for relation in relations + [duplicate] {
                group.addTask {
                    await protocolError { fixture.core.graphChanges.link(relation, fixture.scope, answer: Response(), completion: $0) } == nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        // Forty distinct relations written (in groups); the second request for one of them conflicts.
        #expect(outcomes.filter { $0 }.count == 40)
        #expect(try fixture.count("SELECT count(*) FROM relations") == 40)
        #expect(fixture.core.graph.counts.relations == 40)
        let conflict = await protocolError { fixture.core.graphChanges.link(duplicate, fixture.scope, answer: Response(), completion: $0) }
        #expect(conflict?.code == .conflict)
    }

    @Test func aTransactionIsSeenInMemoryOnlyOnceItCommits() async throws {
        let fixture = try Fixture("transaction")
        let transaction = try await call { fixture.core.writes.begin(limit: 2, completion: $0) }
        var scope = fixture.scope
        scope.transaction = transaction
        _ = try await call { fixture.core.graphChanges.add(Node(key: "t1", kind: .region, name: "Een"), scope, answer: { Response() }, completion: $0) }
        _ = try await call { fixture.core.graphChanges.add(Node(key: "t2", kind: .region, name: "Twee"), scope, answer: { Response() }, completion: $0) }
        // Written in the transaction: neither committed nor in memory yet.
        #expect(try fixture.count("SELECT count(*) FROM nodes WHERE key IN ('t1', 't2')") == 0)
        #expect(fixture.core.graph.read { $0.node(key: "t1") } == nil)
        #expect(fixture.core.writes.openTransactions == 1)
        let committed = try await call { fixture.core.writes.commit(transaction, idempotency: nil, format: .text, completion: $0) }
        #expect(String(decoding: committed.render(.text), as: UTF8.self) == "OK applied=2\n")
        #expect(try fixture.count("SELECT count(*) FROM nodes WHERE key IN ('t1', 't2')") == 2)
        #expect(fixture.core.graph.read { $0.node(key: "t2")?.name } == "Twee")
        #expect(fixture.core.writes.openTransactions == 0)
    }

    @Test func aFailedWriteAbortsItsTransactionAndNothingIsWritten() async throws {
        let fixture = try Fixture("abort")
        try await fixture.addRegions(["lead"])
        let transaction = try await call { fixture.core.writes.begin(limit: 2, completion: $0) }
        var scope = fixture.scope
        scope.transaction = transaction
        let trajectory = Trajectory(key: "kansen-a", name: "Kansen A", kind: .kansenagenda, lead: "lead", region: nil, themes: [],
                                    goal: nil, status: .active, start: nil, end: nil)
        _ = try await call { fixture.core.trajectories.add(trajectory, remind: nil, scope, answer: { Response() }, completion: $0) }
        let again = await protocolError { fixture.core.trajectories.add(trajectory, remind: nil, scope, answer: { Response() }, completion: $0) }
        #expect(again?.code == .conflict)
        #expect(transaction.failure?.code == .conflict)
        // Later writes of the aborted transaction are refused at once.
        let later = await protocolError { fixture.core.graphChanges.add(Node(key: "x", kind: .region, name: "X"), scope, answer: { Response() }, completion: $0) }
        #expect(later?.message.contains("batch aborted") == true)
        let commit = await protocolError { fixture.core.writes.commit(transaction, idempotency: nil, format: .text, completion: $0) }
        #expect(commit?.code == .conflict)
        #expect(try fixture.count("SELECT count(*) FROM trajectories") == 0)
        #expect(fixture.core.writes.openTransactions == 0)
    }

    @Test func transactionsBeyondTheLimitAreRefusedAndARollbackWritesNothing() async throws {
        let fixture = try Fixture("limit")
        let first = try await call { fixture.core.writes.begin(limit: 1, completion: $0) }
        let second = await protocolError { fixture.core.writes.begin(limit: 1, completion: $0) }
        #expect(second?.code == .busy)
        var scope = fixture.scope
        scope.transaction = first
        _ = try await call { fixture.core.graphChanges.add(Node(key: "gone", kind: .region, name: "Weg"), scope, answer: { Response() }, completion: $0) }
        let released = await withCheckedContinuation { continuation in
            fixture.core.writes.release(first, rollback: true) { continuation.resume(returning: $0) }
        }
        #expect(released)
        // Released once: a second release (the client closing too) does nothing.
        let again = await withCheckedContinuation { continuation in
            fixture.core.writes.release(first, rollback: true) { continuation.resume(returning: $0) }
        }
        #expect(!again)
        #expect(try fixture.count("SELECT count(*) FROM nodes WHERE key = 'gone'") == 0)
        #expect(fixture.core.graph.read { $0.node(key: "gone") } == nil)
        _ = try await call { fixture.core.writes.begin(limit: 1, completion: $0) }
    }

    @Test func anIdempotentWriteKeepsTheAnswerItGaveInItsOwnTransaction() async throws {
        let fixture = try Fixture("idem")
        try await fixture.addRegions(["lead"])
        var scope = fixture.scope
        let request = Request(verb: "TRAJECTORY", arguments: ["ADD", "k1", "Kansen"], options: ["kind": "kansenagenda", "lead": "lead"],
                              optionOrder: ["kind", "lead"])
        let key = IdempotencyKey(key: "retry-1", actor: "tester", request: IdempotencyKey.fingerprint(request))
        scope.idempotency = key
        let trajectory = Trajectory(key: "k1", name: "Kansen", kind: .kansenagenda, lead: "lead", region: nil, themes: [], goal: nil,
                                    status: .active, start: nil, end: nil)
        let response = try await call {
            fixture.core.trajectories.add(trajectory, remind: nil, scope, answer: { Response(status: Status([("key", .string("k1"))])) }, completion: $0)
        }
        let kept = try await call { fixture.core.writes.keptAnswer(for: key, completion: $0) }
        #expect(kept?.text == String(decoding: response.render(.text), as: UTF8.self))
        #expect(kept?.json == String(decoding: response.render(.json), as: UTF8.self))
        // A retry is answered from it; the same key for another request is refused.
        let replayed = try key.replay(try #require(kept), format: .text)
        #expect(String(decoding: replayed.render(.text), as: UTF8.self) == "OK key=k1\n")
        let other = IdempotencyKey(key: "retry-1", actor: "tester", request: "another request")
        #expect(throws: ProtocolError.self) { try other.replay(kept!, format: .text) }
    }
}
