/// A token id with a score: its logit before the softmax, its unnormalised probability after.
struct SamplerCandidate {
    var id: Int32
    var value: Float

    /// The sampler's one order: higher value first, and on equal values the lower id first.
    /// It is total on non-NaN values, so every selection below has a single answer.
    @inline(__always)
    func precedes(_ other: SamplerCandidate) -> Bool {
        value > other.value || (value == other.value && id < other.id)
    }
}

// In-place selection without allocation; nothing here needs a full sort of the vocabulary.
extension UnsafeMutableBufferPointer where Element == SamplerCandidate {
    /// Partitions `lo..<hi` (at least 2 elements) around a median-of-three pivot and returns the pivot's final index:
    /// everything before it precedes it, everything after does not.
    @inline(__always)
    func partition(_ lo: Int, _ hi: Int) -> Int {
        let last = hi - 1
        let mid = lo + (hi - lo) / 2
        if self[mid].precedes(self[lo]) { swapAt(mid, lo) }
        if self[last].precedes(self[lo]) { swapAt(last, lo) }
        if self[mid].precedes(self[last]) { swapAt(mid, last) }
        let pivot = self[last]
        var store = lo
        for j in lo..<last where self[j].precedes(pivot) {
            swapAt(store, j)
            store += 1
        }
        swapAt(store, last)
        return store
    }

    /// Rearranges `0..<count` so that its first `k` elements are the `k` best (in no particular order). Expected O(count).
    func selectFirst(_ k: Int, count: Int) {
        var lo = 0
        var hi = count
        while hi - lo > 1 {
            let p = partition(lo, hi)
            if p == k || p == k - 1 { return }
            if p > k { hi = p } else { lo = p + 1 }
        }
    }

    /// Keeps the best `capacity` of the values of `values` in `0..<capacity`, best first, by one scan that skips
    /// 16-value chunks holding nothing better than the current last. Returns how many were kept (≤ capacity).
    func selectBest(_ capacity: Int, of values: UnsafeMutableBufferPointer<Float>) -> Int {
        precondition(capacity > 0 && capacity <= count)
        var kept = 0
        var i = 0
        let n = values.count
        let base = values.baseAddress!
        while i < n {
            if kept == capacity && i + 16 <= n {
                let chunk = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<Float>.self)
                if !any(chunk .> self[capacity - 1].value) {
                    i += 16
                    continue
                }
            }
            // Ids arrive in increasing order, so an equal value never precedes an element already kept.
            let value = base[i]
            if kept < capacity || value > self[capacity - 1].value {
                insert(SamplerCandidate(id: Int32(truncatingIfNeeded: i), value: value), kept: &kept, capacity: capacity)
            }
            i += 1
        }
        return kept
    }

    /// Inserts `item` into the sorted `0..<kept`, dropping the last element when `kept == capacity`.
    @inline(__always)
    func insert(_ item: SamplerCandidate, kept: inout Int, capacity: Int) {
        if kept < capacity { kept += 1 }
        var j = kept - 1
        while j > 0 && item.precedes(self[j - 1]) {
            self[j] = self[j - 1]
            j -= 1
        }
        self[j] = item
    }

    /// Sorts `lo..<hi` best first; for short ranges.
    func insertionSort(_ lo: Int, _ hi: Int) {
        guard hi - lo > 1 else { return }
        for i in (lo + 1)..<hi {
            let item = self[i]
            var j = i
            while j > lo && item.precedes(self[j - 1]) {
                self[j] = self[j - 1]
                j -= 1
            }
            self[j] = item
        }
    }

    /// Moves the nucleus to the front and returns its size: the shortest run of best elements of `0..<count` (values are
    /// probabilities) whose sum reaches `mass`; all `count` when they never do. Expected O(count) by quickselect on mass.
    func nucleusCount(count: Int, mass: Double) -> Int {
        var lo = 0
        var hi = count
        var need = mass
        while hi - lo > 16 {
            let p = partition(lo, hi)
            var before = 0.0
            for i in lo..<p { before += Double(self[i].value) }
            if before >= need {
                hi = p  // the nucleus ends strictly before the pivot
            } else if before + Double(self[p].value) >= need {
                return p + 1  // the pivot completes it
            } else {
                need -= before + Double(self[p].value)  // all of lo...p is in; look further
                lo = p + 1
            }
        }
        insertionSort(lo, hi)
        var sum = 0.0
        for i in lo..<hi {
            sum += Double(self[i].value)
            if sum >= need { return i + 1 }
        }
        return hi
    }
}
