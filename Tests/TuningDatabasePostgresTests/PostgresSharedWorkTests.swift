import Foundation
import Synchronization
import Testing
import TuningDatabase

@testable import TuningDatabasePostgres

@Suite("PostgreSQL store: reads and shared work", .serialized, .enabled(if: TestServer.available, "needs the server scripts/test starts (TUNEBENCH_TEST_POSTGRES)"))
struct PostgresSharedWorkTests {
    @Test("the tuner's reads answer as the SQLite store's do on the same rows")
    func readsMatchSQLite() throws {
        let sqlite = try TestServer.sampleSQLite()
        let postgres = try PostgresTuningDatabase(location: try TestServer.freshDatabase())
        try postgres.merge(try sqlite.dump())
        let stores: [any TuningStore] = [sqlite, postgres]
        let answers = try stores.map { store in
            (try store.profiles(), try store.runs(), try store.runs(profileID: "bbbb"), try store.trials(runID: "run-1"),
             try store.best(profileID: "aaaa"), try store.best(kernelLibraryVersion: "9.9.9"), try store.choices(profileID: "aaaa"))
        }
        #expect(answers[0].0 == answers[1].0 && answers[0].1 == answers[1].1 && answers[0].2 == answers[1].2)
        #expect(answers[0].3 == answers[1].3 && answers[0].3.count == 5)
        #expect(answers[0].4 == answers[1].4 && !answers[0].4.isEmpty && answers[1].5.isEmpty)
        #expect(answers[0].6 == answers[1].6)
        // The unfinished run is found by its key, then no longer once finished.
        let running = try #require(try sqlite.runs().first { $0.status == .running })
        for store in stores { #expect(try store.resumableRun(like: running)?.id == running.id) }
        var otherSeed = running
        otherSeed.seed += 1
        for store in stores { #expect(try store.resumableRun(like: otherSeed) == nil) }
        try postgres.finish(runID: running.id, at: "2026-11-29T06:00:00.000Z")
        #expect(try postgres.resumableRun(like: running) == nil)
        #expect(try postgres.schemaVersion() == TuningDatabase.currentSchemaVersion)
    }

    @Test("a trial appended again is a no-op; another trial under the same run and number is refused, not dropped")
    func trialConflict() throws {
        let sqlite = try TestServer.sampleSQLite()
        let postgres = try PostgresTuningDatabase(location: try TestServer.freshDatabase())
        try postgres.merge(try sqlite.dump())
        let trial = try #require(try postgres.trials(runID: "run-1").first)
        try postgres.append(trial: trial)
        var other = trial
        other.config = "gemm kc=8"
        #expect {
            try postgres.append(trial: other)
        } throws: { error in
            "\(error)".contains("trial 0 of run run-1 was written by another tuner")
        }
        #expect(try postgres.trials(runID: "run-1").first == trial)
    }

    @Test("claims: each item to one claimer at a time, even when many claim at once")
    func concurrentClaims() throws {
        let location = try TestServer.freshDatabase()
        let setup = try PostgresTuningDatabase(location: location)
        let items = (0..<40).map { "layer \($0)" }
        try setup.enqueue(queue: "q", items: items)
        try setup.enqueue(queue: "q", items: items)  // a second tuner enqueueing: nothing changes
        #expect(try setup.progress(queue: "q") == WorkProgress(done: 0, claimed: 0, open: 40))
        let claimed = Mutex<[String]>([])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            do {
                let store = try PostgresTuningDatabase(location: location)
                while let claim = try store.claim(queue: "q", worker: "w\(worker)", lease: 60) {
                    claimed.withLock { $0.append(claim.item) }
                    #expect(claim.attempt == 1 && claim.takenOverFrom == nil)
                    #expect(try store.complete(claim))
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        #expect(claimed.withLock { $0 }.sorted() == items.sorted())
        #expect(try setup.progress(queue: "q") == WorkProgress(done: 40, claimed: 0, open: 0))
        #expect(try setup.items(matching: "q").allSatisfy { $0.status == "done" && $0.attempts == 1 })
    }

    @Test("an expired lease is taken over; the old claimant can then neither renew nor complete")
    func leaseTakeOver() throws {
        let store = try PostgresTuningDatabase(location: try TestServer.freshDatabase())
        try store.enqueue(queue: "q", items: ["a", "b"])
        let dead = try #require(try store.claim(queue: "q", worker: "dead", lease: 0.5))
        #expect(dead.item == "a")
        let live = try #require(try store.claim(queue: "q", worker: "live", lease: 60))
        #expect(live.item == "b")
        #expect(try store.claim(queue: "q", worker: "late", lease: 60) == nil)
        #expect(try store.progress(queue: "q") == WorkProgress(done: 0, claimed: 2, open: 0))
        Thread.sleep(forTimeInterval: 0.8)
        #expect(try store.progress(queue: "q") == WorkProgress(done: 0, claimed: 1, open: 1))
        let takeOver = try #require(try store.claim(queue: "q", worker: "late", lease: 60))
        #expect(takeOver == WorkClaim(queue: "q", item: "a", worker: "late", attempt: 2, takenOverFrom: "dead"))
        #expect(try !store.renew(dead, lease: 60))
        #expect(try !store.complete(dead))
        #expect(try store.renew(takeOver, lease: 60))
        #expect(try store.complete(takeOver) && store.complete(live))
        #expect(try !store.complete(live), "completed twice")
        let items = try store.items(matching: "q")
        #expect(items.map(\.claimedBy) == ["late", "live"] && items.map(\.attempts) == [2, 1])
        #expect(try store.progress(queue: "q").finished)
        #expect(try store.items(matching: "no such queue").isEmpty)
    }
}
