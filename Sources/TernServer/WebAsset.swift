import NIOCore

/// A file of the web UI (`Sources/TernServer/WebUI`), compiled into the binary by the build: the pages need nothing
/// beside the executable and no network.
struct WebAsset: Sendable {
    /// The `content-type` it is served with.
    let contentType: String
    /// The file.
    let body: ByteBuffer
    /// A strong validator of the file's bytes (FNV-1a), for `If-None-Match`.
    let etag: String

    init(_ bytes: [UInt8], contentType: String) {
        self.contentType = contentType
        body = ByteBuffer(bytes: bytes)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        etag = "\"\(String(hash, radix: 16))\""
    }

    /// The chat page, served at `/`.
    static let chat = WebAsset(PackageResources.chat_html, contentType: html)
    /// The console, served at `/console`.
    static let console = WebAsset(PackageResources.console_html, contentType: html)

    /// What the pages load, by the name they load it as: `/ui/NAME`.
    static let files: [String: WebAsset] = [
        "tern.css": WebAsset(PackageResources.tern_css, contentType: "text/css; charset=utf-8"),
        "common.js": WebAsset(PackageResources.common_js, contentType: javascript),
        "markdown.js": WebAsset(PackageResources.markdown_js, contentType: javascript),
        "chat.js": WebAsset(PackageResources.chat_js, contentType: javascript),
        "console.js": WebAsset(PackageResources.console_js, contentType: javascript),
        "icon.svg": WebAsset(PackageResources.icon_svg, contentType: "image/svg+xml"),
    ]

    private static let html = "text/html; charset=utf-8"
    private static let javascript = "text/javascript; charset=utf-8"
}
