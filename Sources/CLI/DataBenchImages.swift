import Foundation
import Imaging
import OwnData
import Tasks
import Tensors

/// The files `bench data` trains on: Sort-of-CLEVR training images `images/<thousands>/<index>.png` (75 px,
/// written once, in parallel, and reused), manifests of the first N with one question each, and a few
/// 640×480 JPEGs for the loader's 224 px figure.
enum DataBenchImages {
    static func imageURL(_ index: Int, in root: URL) -> URL {
        root.appendingPathComponent("images/\(index / 1000)/\(index).png")
    }

    static func manifestURL(count: Int, in root: URL) -> URL { root.appendingPathComponent("manifest-\(count).jsonl") }

    /// Writes the images below `count` that are not there yet, with a progress line every 10 s.
    static func ensure(count: Int, in root: URL) throws {
        let generator = SortOfCLEVRGenerator()
        let missing = (0..<((count + 999) / 1000)).filter { !FileManager.default.fileExists(atPath: imageURL(min($0 * 1000 + 999, count - 1), in: root).path) }
        guard !missing.isEmpty else { return }
        let start = Date()
        var last = start, done = 0
        let lock = NSLock()
        var failure: (any Error)?
        DispatchQueue.concurrentPerform(iterations: missing.count) { k in
            let folder = missing[k]
            do {
                try FileManager.default.createDirectory(at: root.appendingPathComponent("images/\(folder)"), withIntermediateDirectories: true)
                for index in (folder * 1000)..<min(folder * 1000 + 1000, count) {
                    let scene = generator.example(seed: 0, split: .train, index: index).scene
                    try PNG.encode(scene.render()).write(to: imageURL(index, in: root))
                }
            } catch {
                lock.withLock { failure = error }
            }
            lock.withLock {
                done += 1
                if Date().timeIntervalSince(last) > 10 || done == missing.count {
                    last = Date()
                    let rate = Double(done) * 1000 / Date().timeIntervalSince(start)
                    FileHandle.standardError.write(Data(String(format: "writing bench images: %d of %d thousand (%.0f images/s, %.0f s left)\n",
                                                               done, missing.count, rate, Double(missing.count - done) * 1000 / rate).utf8))
                }
            }
        }
        if let failure { throw failure }
    }

    /// Writes the manifest of the first `count` images (each with its first question) unless it exists.
    static func writeManifest(count: Int, in root: URL) throws {
        let url = manifestURL(count: count, in: root)
        guard !FileManager.default.fileExists(atPath: url.path) else { return }
        let generator = SortOfCLEVRGenerator()
        var text = ""
        text.reserveCapacity(count * 160)
        for index in 0..<count {
            let question = generator.example(seed: 0, split: .train, index: index).questions[0]
            let line = ["image": "images/\(index / 1000)/\(index).png", "text": question.text, "label": question.answer.description]
            text += String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self) + "\n"
        }
        try Data(text.utf8).write(to: url, options: .atomic)
    }

    /// Images per second that `ImageStore` decodes (and resizes) on `workers` threads: 2,000 of the first
    /// `available` 75 px PNGs
    /// for the small CNN, or 200 640×480 JPEGs (the PNGs scaled up, written once) read at 224 px.
    static func decodeRate(_ root: URL, available: Int, jpeg: Bool, workers: Int) throws -> Double {
        let count = jpeg ? 200 : 2000
        var urls = (0..<count).map { imageURL($0 * 7 % available, in: root) }
        if jpeg {
            let folder = root.appendingPathComponent("jpeg")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            urls = try urls.prefix(count).enumerated().map { n, png in
                let url = folder.appendingPathComponent("\(n).jpg")
                if !FileManager.default.fileExists(atPath: url.path) {
                    try JPEG.encode(try PNG.read(png).resized(width: 640, height: 480), quality: 90).write(to: url)
                }
                return url
            }
        }
        let store = ImageStore(files: urls, side: jpeg ? 224 : 75)
        let start = Date()
        for batch in stride(from: 0, to: count, by: 50) { _ = try store.images(Array(batch..<min(batch + 50, count)), workers: workers) }
        return Double(count) / Date().timeIntervalSince(start)
    }
}
