import Foundation
public import TernTensors

/// One pool of compute threads shared by the schedulers of several models: their forward passes take turns.
///
/// Each model has its own step thread, but there are only so many cores; two pools spinning on them at once would
/// slow both. The schedulers take the pool in the order they asked for it (a ticket lock), so a model whose long
/// prompt is being read holds up another model's streams by one step at most. And while more than one model has
/// work, a step of any model is held to about the time of the quickest model's full step (its prompt chunks shrink),
/// so that a large model's prompt stalls a small model's streams no more than the small model's own prompts do.
public final class ComputeShare: @unchecked Sendable {
    /// The threads every turn runs on.
    public let pool: ComputePool
    private let condition = NSCondition()
    // Guarded by `condition`: the next ticket to hand out and the one whose turn it is.
    private var nextTicket = 0
    private var serving = 0
    private var members: [Member] = []

    /// A share of a new pool of `threads` compute threads.
    public init(threads: Int) {
        pool = ComputePool(threadCount: threads)
    }

    /// A scheduler using the share: whether it has work, and what its steps take (time = fixed + tokens × perToken).
    private struct Member {
        var busy = false
        /// Seconds of a step of a few tokens, measured; nil until one ran.
        var fixed: Double?
        /// Seconds each further token adds to a step, measured; nil until a step of many tokens ran.
        var perToken: Double?
        /// Tokens in a full step.
        var fullStepTokens: Int
        var left = false

        /// Seconds the tokens of a full step add to it, once known: what a step of this member waits for when another
        /// member's step runs in its place.
        var fullStepTokenTime: Double? { perToken.map { $0 * Double(fullStepTokens) } }

        /// Takes in a step of `tokens` tokens that took `seconds`.
        mutating func measure(tokens: Int, seconds: Double) {
            // Smoothed: one slow step (the machine was busy) must not shrink every chunk.
            func smooth(_ old: Double?, _ new: Double) -> Double { old.map { 0.7 * $0 + 0.3 * new } ?? new }
            if tokens <= ComputeShare.fewTokens {
                fixed = smooth(fixed, seconds)
            } else if tokens >= ComputeShare.manyTokens {
                perToken = smooth(perToken, max(0, seconds - (fixed ?? 0)) / Double(tokens))
            }
        }
    }

    /// A step of at most this many tokens measures the fixed cost of a step, …
    static let fewTokens = 4
    /// … one of at least this many the cost of a token; the first prompt chunk of a member whose cost per token is
    /// not known yet, while others have work, has this many tokens.
    static let manyTokens = 16

    /// Joins the share with full steps of `fullStepTokens` tokens; returns the member's number.
    public func join(fullStepTokens: Int) -> Int {
        condition.lock()
        defer { condition.unlock() }
        // The place of a model unloaded earlier is taken again: the list stays as long as the most models loaded at once.
        if let free = members.firstIndex(where: \.left) {
            members[free] = Member(fullStepTokens: fullStepTokens)
            return free
        }
        members.append(Member(fullStepTokens: fullStepTokens))
        return members.count - 1
    }

    /// Leaves the share for good.
    public func leave(_ member: Int) {
        condition.lock()
        members[member].left = true
        members[member].busy = false
        condition.unlock()
    }

    /// Records `member`'s last step and returns the cap on its next steps' prompt tokens: while other members have
    /// work, as many as make its step take no longer than the tokens of the quickest of their full steps (so that a
    /// member waiting for it waits about as long as for its own full step), but never fewer than ``manyTokens``, so
    /// that a large model's prompt still moves; nil when no other member has work or its steps are quicker anyway.
    ///
    /// - Parameters:
    ///   - busy: whether the member has sequences running or waiting.
    ///   - step: the tokens and seconds of its last step, if it ran one.
    public func report(_ member: Int, busy: Bool, step: (tokens: Int, seconds: Double)?) -> Int? {
        condition.lock()
        defer { condition.unlock() }
        members[member].busy = busy
        if let step { members[member].measure(tokens: step.tokens, seconds: step.seconds) }
        var others = false
        var slice = Double.infinity
        for (index, other) in members.enumerated() where index != member && other.busy && !other.left {
            others = true
            if let time = other.fullStepTokenTime { slice = min(slice, time) }
        }
        let own = members[member]
        guard others, own.fullStepTokens > Self.manyTokens else { return nil }
        guard let perToken = own.perToken, perToken > 0 else { return Self.manyTokens }
        guard slice.isFinite else { return nil }
        let tokens = (slice - (own.fixed ?? 0)) / perToken
        return tokens < Double(own.fullStepTokens) ? max(Self.manyTokens, Int(tokens)) : nil
    }

    /// `member` is about to wait for requests: unless another member has work, the compute threads sleep until the next
    /// call instead of spinning for it, and leave the cores to the threads that bring the requests (an encoder's
    /// clients, on the same cores, send its next texts while it waits). A scheduler calls it holding its own lock; the
    /// share never calls back into a scheduler, so the two locks are always taken in that order.
    public func waitsForWork(_ member: Int) {
        condition.lock()
        defer { condition.unlock() }
        let othersBusy = members.indices.contains { $0 != member && members[$0].busy && !members[$0].left }
        if !othersBusy { pool.rest() }
    }

    /// Runs `body` when every turn asked for before it has ended.
    public func turn<Value>(_ body: () throws -> Value) rethrows -> Value {
        condition.lock()
        let ticket = nextTicket
        nextTicket += 1
        while serving != ticket { condition.wait() }
        condition.unlock()
        defer {
            condition.lock()
            serving += 1
            condition.broadcast()
            condition.unlock()
        }
        return try body()
    }
}
