/// The OpenAPI 3.1 document of Tern's API (`docs/openapi.json`), served at `GET /openapi.json`.
///
/// The build compiles the file into the binary (a SwiftPM `embedInCode` resource), so nothing needs to sit beside it.
public enum OpenAPIDocument {
    /// The document's JSON text.
    public static let text = String(decoding: PackageResources.openapi_json, as: UTF8.self)
}
