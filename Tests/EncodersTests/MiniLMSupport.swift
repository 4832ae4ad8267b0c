import Encoders
import Foundation
import Tensors

/// The cached all-MiniLM-L6-v2 directory; a missing model fails the test with the fetch command
/// (`make test` fetches it first, so nothing is skipped).
func miniLMDirectory() throws -> URL { try ModelCache.directory(for: ModelCache.miniLM) }

func miniLMTokenizer() throws -> WordPieceTokenizer { try SentenceEncoder.tokenizer(directory: miniLMDirectory()) }

/// Loaded once for all tests (the checkpoint is 87 MB).
nonisolated(unsafe) private var cachedEncoder: SentenceEncoder?

func miniLMEncoder() throws -> SentenceEncoder {
    if let cachedEncoder { return cachedEncoder }
    let encoder = try SentenceEncoder(directory: miniLMDirectory())
    cachedEncoder = encoder
    return encoder
}

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crossmodal-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}
