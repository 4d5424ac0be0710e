import PostgresNIO
import TuningDatabase

/// The work queue in the `work_items` table: claims take row locks with `FOR UPDATE SKIP
/// LOCKED`, so concurrent claimers never wait for each other nor get the same item; a lease
/// is a time on the server's clock, so the tuners' clocks do not matter.
extension PostgresTuningDatabase: SharedWork {
    public func enqueue(queue: String, items: [String]) throws {
        try transaction {
            for (position, item) in items.enumerated() {
                try execute("""
                    INSERT INTO work_items (queue, item, position, status, attempts) VALUES (\(queue), \(item), \(position), 'pending', 0)
                    ON CONFLICT (queue, item) DO NOTHING
                    """)
            }
        }
    }

    public func claim(queue: String, worker: String, lease: Double) throws -> WorkClaim? {
        try transaction {
            let rows = try execute("""
                WITH next AS (
                    SELECT queue, item, claimed_by AS previous FROM work_items
                    WHERE queue = \(queue) AND status = 'pending' AND (lease_until IS NULL OR lease_until < now())
                    ORDER BY position LIMIT 1 FOR UPDATE SKIP LOCKED)
                UPDATE work_items w SET claimed_by = \(worker), lease_until = now() + make_interval(secs => \(lease)), attempts = w.attempts + 1
                FROM next WHERE w.queue = next.queue AND w.item = next.item
                RETURNING w.item, w.attempts, next.previous
                """).rows
            guard let row = rows.first else { return nil }
            let (item, attempts, previous) = try row.decode((String, Int, String?).self)
            return WorkClaim(queue: queue, item: item, worker: worker, attempt: attempts, takenOverFrom: previous)
        }
    }

    public func renew(_ claim: WorkClaim, lease: Double) throws -> Bool {
        try transaction {
            try execute("""
                UPDATE work_items SET lease_until = now() + make_interval(secs => \(lease))
                WHERE queue = \(claim.queue) AND item = \(claim.item) AND claimed_by = \(claim.worker) AND status = 'pending'
                """).metadata.rows == 1
        }
    }

    public func complete(_ claim: WorkClaim) throws -> Bool {
        try transaction {
            try execute("""
                UPDATE work_items SET status = 'done', lease_until = NULL, done_at = now()
                WHERE queue = \(claim.queue) AND item = \(claim.item) AND claimed_by = \(claim.worker) AND status = 'pending'
                """).metadata.rows == 1
        }
    }

    public func progress(queue: String) throws -> WorkProgress {
        try transaction {
            let row = try execute("""
                SELECT count(*) FILTER (WHERE status = 'done'),
                       count(*) FILTER (WHERE status = 'pending' AND lease_until >= now()),
                       count(*) FILTER (WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < now()))
                FROM work_items WHERE queue = \(queue)
                """).rows.first
            let (done, claimed, open) = try row?.decode((Int, Int, Int).self) ?? (0, 0, 0)
            return WorkProgress(done: done, claimed: claimed, open: open)
        }
    }

    public func items(matching: String) throws -> [WorkItem] {
        try transaction {
            try execute("""
                SELECT queue, item, status, claimed_by,
                       CASE WHEN status = 'pending' THEN extract(epoch FROM lease_until - now())::float8 END,
                       attempts, to_char(done_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                FROM work_items WHERE strpos(queue, \(matching)) > 0 ORDER BY queue, position
                """).rows.map { row in
                let (queue, item, status, claimedBy, left, attempts, doneAt) = try row.decode((String, String, String, String?, Double?, Int, String?).self)
                return WorkItem(queue: queue, item: item, status: status, claimedBy: claimedBy, leaseSecondsLeft: left, attempts: attempts, doneAt: doneAt)
            }
        }
    }
}
