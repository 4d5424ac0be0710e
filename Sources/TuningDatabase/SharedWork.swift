/// Work that several tuners split through the database: a queue of named items, each taken by
/// one tuner at a time under a lease. A tuner that dies stops renewing its lease; when the
/// lease expires, the next claim takes the item over. Items stay in the queue when done, so a
/// tuner started later finds them done.
public protocol SharedWork: AnyObject, Sendable {
    /// Adds the items in this order (present ones are left as they are).
    func enqueue(queue: String, items: [String]) throws
    /// The first pending item whose lease is free or expired, now leased to `worker` for
    /// `lease` seconds (the server's clock); nil when there is none.
    func claim(queue: String, worker: String, lease: Double) throws -> WorkClaim?
    /// Extends the claim's lease; false when the claim was lost (expired and taken over).
    func renew(_ claim: WorkClaim, lease: Double) throws -> Bool
    /// Marks the item done; false when the claim was lost.
    func complete(_ claim: WorkClaim) throws -> Bool
    func progress(queue: String) throws -> WorkProgress
    /// The items of the queues whose names contain `matching` (all when empty), by queue and
    /// position.
    func items(matching: String) throws -> [WorkItem]
}

/// One item of a queue as `db work` shows it.
public struct WorkItem: Codable, Sendable, Equatable {
    public var queue: String
    public var item: String
    public var status: String
    public var claimedBy: String?
    /// Seconds until the lease expires (negative: expired), nil when never claimed or done.
    public var leaseSecondsLeft: Double?
    public var attempts: Int
    public var doneAt: String?

    public init(queue: String, item: String, status: String, claimedBy: String?, leaseSecondsLeft: Double?, attempts: Int, doneAt: String?) {
        self.queue = queue
        self.item = item
        self.status = status
        self.claimedBy = claimedBy
        self.leaseSecondsLeft = leaseSecondsLeft
        self.attempts = attempts
        self.doneAt = doneAt
    }
}

public struct WorkClaim: Sendable, Equatable {
    public var queue: String
    public var item: String
    public var worker: String
    /// 1 for a first claim; more when the item was taken over from an expired lease.
    public var attempt: Int
    /// The worker whose lease expired, on a take-over.
    public var takenOverFrom: String?

    public init(queue: String, item: String, worker: String, attempt: Int, takenOverFrom: String?) {
        self.queue = queue
        self.item = item
        self.worker = worker
        self.attempt = attempt
        self.takenOverFrom = takenOverFrom
    }
}

public struct WorkProgress: Sendable, Equatable {
    public var done: Int
    /// Claimed under a live lease.
    public var claimed: Int
    /// Never claimed, or under an expired lease.
    public var open: Int

    public init(done: Int, claimed: Int, open: Int) {
        self.done = done
        self.claimed = claimed
        self.open = open
    }

    public var finished: Bool { claimed == 0 && open == 0 }
}
