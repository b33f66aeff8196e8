/// How a call's work units (packed row groups, say) are cut into chunks for the pool: a few large chunks first, then
/// single units.
///
/// Large chunks keep the weights streaming (each chunk starts with its data cold); the single units at the end let the
/// thread that finishes its large chunk first take over the rest, so that no thread idles while another works through
/// the tail of a large one.
struct ChunkPlan: Sendable {
    /// Units in all.
    let units: Int
    /// Large chunks, which together cover the first `head` units.
    let largeCount: Int
    let head: Int

    /// A plan for `units` units shared by `threads` threads, with `largePerThread` large chunks each, then (if
    /// `singlesLast`) single units.
    init(units: Int, threads: Int, largePerThread: Int, singlesLast: Bool = true) {
        precondition(units >= 0 && threads > 0 && largePerThread > 0)
        self.units = units
        if threads == 1 || !singlesLast {
            largeCount = min(units, threads == 1 ? 1 : threads * largePerThread)
            head = units
            return
        }
        // About an eighth of the work, and at least two units per thread, is left for single-unit chunks.
        let tail = min(units, max(2 * threads, units / 8))
        head = units - tail
        largeCount = min(head, threads * largePerThread)
    }

    /// Chunks in all.
    var count: Int { largeCount + units - head }

    /// The units of chunk `index` (in `0..<count`).
    func range(_ index: Int) -> Range<Int> {
        if index < largeCount { return index * head / largeCount..<(index + 1) * head / largeCount }
        let unit = head + index - largeCount
        return unit..<unit + 1
    }
}
