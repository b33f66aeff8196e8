import Synchronization

/// Writes items in shared batches: each caller waits until its own item is written, and the items that arrive while
/// one batch is being written go together in the next. A thousand callers at once cost a few writes (a few disk
/// syncs), not a thousand, and none returns before its item is durable.
///
/// There is no writer task: the caller that finds no write in progress writes, and when it is done hands the turn to
/// the first caller still waiting, whose batch then holds everything that gathered meanwhile.
final class GroupCommit<Item: Sendable>: Sendable {
    private enum Turn {
        case written
        case write
    }

    private struct Waiting {
        let item: Item
        /// Nil for the caller whose turn it is to write (it is not waiting to be told).
        var continuation: CheckedContinuation<Turn, any Error>?
    }

    private struct State {
        var queue: [Waiting] = []
        var writing = false
    }

    private let state = Mutex(State())
    private let maxBatch: Int
    private let write: @Sendable ([Item]) async throws -> Void

    /// - Parameters:
    ///   - maxBatch: the most items written at once.
    ///   - write: writes a batch durably; it is never called twice at the same time.
    init(maxBatch: Int, write: @escaping @Sendable ([Item]) async throws -> Void) {
        precondition(maxBatch >= 1)
        self.maxBatch = maxBatch
        self.write = write
    }

    /// Returns once `item` is written; throws what the write of its batch threw.
    func submit(_ item: Item) async throws {
        let turn: Turn = try await withCheckedThrowingContinuation { continuation in
            let writeNow = state.withLock { state in
                if state.writing {
                    state.queue.append(Waiting(item: item, continuation: continuation))
                    return false
                }
                state.writing = true
                state.queue.append(Waiting(item: item, continuation: nil))
                return true
            }
            if writeNow { continuation.resume(returning: .write) }
        }
        guard turn == .write else { return }
        let batch = state.withLock { state in
            let batch = Array(state.queue.prefix(maxBatch))
            state.queue.removeFirst(batch.count)
            return batch
        }
        let failure: (any Error)?
        do {
            try await write(batch.map(\.item))
            failure = nil
        } catch {
            failure = error
        }
        // Hand the turn on before telling the others, so that the next batch starts at once.
        let next: CheckedContinuation<Turn, any Error>? = state.withLock { state in
            guard !state.queue.isEmpty else {
                state.writing = false
                return nil
            }
            defer { state.queue[0].continuation = nil }
            return state.queue[0].continuation
        }
        next?.resume(returning: .write)
        for waiting in batch {
            if let failure { waiting.continuation?.resume(throwing: failure) } else { waiting.continuation?.resume(returning: .written) }
        }
        if let failure { throw failure }
    }
}
