import HTTPTypes
import Hummingbird
import TernOpenAI

/// The web UI: the chat page at `/`, the console at `/console`, their files at `/ui/{file}`.
///
/// The files are open routes (they hold no data); everything they show comes from the API with the key the person
/// enters, so the pages can do exactly what that key can. Every file goes out with a strict Content-Security-Policy:
/// scripts and styles from this server only, no inline script, no other origin, never inside a frame.
struct WebUIController: Sendable {
    /// `asset` with the page headers; 304 when the browser's copy is current.
    func serve(_ asset: WebAsset, request: Request) -> Response {
        var headers = Self.securityHeaders
        headers[.contentType] = asset.contentType
        headers[.eTag] = asset.etag
        let current = request.headers[.ifNoneMatch]?.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == asset.etag }
        if current == true { return Response(status: .notModified, headers: headers) }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: asset.body))
    }

    /// `GET /ui/{file}`: 404 for a name that is not one of the files.
    func file(_ name: String, request: Request) throws(OpenAIError) -> Response {
        guard let asset = WebAsset.files[name] else {
            throw .notFound("GET /ui/\(name)")
        }
        return serve(asset, request: request)
    }

    /// What every file of the UI is sent with.
    static let securityHeaders: HTTPFields = [
        contentSecurityPolicy:
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; "
            + "form-action 'none'; frame-ancestors 'none'",
        xContentTypeOptions: "nosniff",
        referrerPolicy: "no-referrer",
        xFrameOptions: "DENY",
        crossOriginOpenerPolicy: "same-origin",
        .cacheControl: "no-cache",
    ]

    static let contentSecurityPolicy = HTTPField.Name("content-security-policy")!
    static let xContentTypeOptions = HTTPField.Name("x-content-type-options")!
    static let referrerPolicy = HTTPField.Name("referrer-policy")!
    static let xFrameOptions = HTTPField.Name("x-frame-options")!
    static let crossOriginOpenerPolicy = HTTPField.Name("cross-origin-opener-policy")!
}
