/// The matcher's parse stacks, stored as linked nodes that share their tails: a node is a position in
/// ``Grammar/elements`` and the node below it (−1 for none). Copying a stack is one new node, and a step of the
/// mask search can drop everything it made by truncating.
struct StackArena {
    private(set) var positions: [Int32] = []
    private(set) var parents: [Int32] = []

    var count: Int { positions.count }

    @inline(__always)
    mutating func allocate(position: Int32, parent: Int32) -> Int32 {
        positions.append(position)
        parents.append(parent)
        return Int32(positions.count - 1)
    }

    /// Drops every node allocated after the first `count`.
    mutating func truncate(to count: Int) {
        positions.removeSubrange(count...)
        parents.removeSubrange(count...)
    }

    /// Whether the stacks below `a` and `b` hold the same positions.
    func sameStack(_ a: Int32, _ b: Int32) -> Bool {
        var a = a
        var b = b
        while a >= 0 && b >= 0 {
            if a == b { return true }
            if positions[Int(a)] != positions[Int(b)] { return false }
            a = parents[Int(a)]
            b = parents[Int(b)]
        }
        return a == b
    }

    /// A new arena holding only the stacks under `tops`, which are rewritten to their new node ids.
    func compacted(keeping tops: inout [Int32]) -> StackArena {
        var result = StackArena()
        var moved: [Int32: Int32] = [:]
        func move(_ node: Int32) -> Int32 {
            if node < 0 { return node }
            if let done = moved[node] { return done }
            let parent = move(parents[Int(node)])
            let copy = result.allocate(position: positions[Int(node)], parent: parent)
            moved[node] = copy
            return copy
        }
        for index in tops.indices { tops[index] = move(tops[index]) }
        return result
    }
}
