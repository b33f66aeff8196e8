/// The OpenAPI 3.1 document of Tern's API (`docs/openapi.json`), served at `GET /openapi.json`.
///
/// Embedded at build time by `Tests/conformance/embed_openapi.py`, so the binary needs no file next to it; a test
/// keeps the copy equal to the document in the repository.
public enum OpenAPIDocument {
    /// The document's JSON text.
    public static var text: String { json }
}
