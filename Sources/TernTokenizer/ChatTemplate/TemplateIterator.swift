/// A single-pass iterator, as Jinja2's `map`, `select`, `selectattr`, `unique`, `items`, `batch` (Python generators)
/// and `reverse` (a reverse iterator) return them.
///
/// Unlike a list it is always true, has no length, is not JSON, and is used up by the first loop or filter that reads
/// it. Its items are computed when it is made; an error while computing them is raised when it is read, as the
/// generator would raise it.
final class TemplateIterator {
    /// Python's type name: `generator`, `list_reverseiterator`.
    let typeName: String
    private let items: Result<[RuntimeValue], ChatTemplateError>
    private var position = 0

    init(_ typeName: String, _ items: Result<[RuntimeValue], ChatTemplateError>) {
        self.typeName = typeName
        self.items = items
    }

    /// A generator over `make()`'s items.
    static func generator(_ make: () throws(ChatTemplateError) -> [RuntimeValue]) -> RuntimeValue {
        let items: Result<[RuntimeValue], ChatTemplateError>
        do { items = .success(try make()) } catch { items = .failure(error) }
        return .iterator(TemplateIterator("generator", items))
    }

    /// The next item, or nil when it is used up.
    func next() throws(ChatTemplateError) -> RuntimeValue? {
        let all = try items.get()
        guard position < all.count else { return nil }
        position += 1
        return all[position - 1]
    }

    /// Every item not read yet; afterwards the iterator is used up.
    func rest() throws(ChatTemplateError) -> [RuntimeValue] {
        let all = try items.get()
        defer { position = all.count }
        return Array(all[position...])
    }
}
