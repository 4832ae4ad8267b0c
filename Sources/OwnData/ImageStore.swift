import Foundation
import Imaging

/// A data set's images as a batch needs them, resized to the image encoder's input side: images in files are
/// decoded when a batch asks for them (so memory does not grow with the data set), images a data source made
/// in memory are kept as they are. Pixels stay 8-bit until the batch tensor is built.
public struct ImageStore: Sendable {
    enum Item: Sendable {
        case file(URL)
        case pixels(RGBImage)
    }

    let items: [Item]
    /// The side every image is resized to.
    public let side: Int

    init(items: [Item], side: Int) {
        (self.items, self.side) = (items, side)
        streams = items.contains { if case .file = $0 { true } else { false } }
    }

    /// Images in files, decoded when used.
    public init(files: [URL], side: Int) {
        self.init(items: files.map { .file($0) }, side: side)
    }

    /// Images held in memory, resized now.
    public init(images: [RGBImage], side: Int) {
        self.init(items: images.map { .pixels(InputPipeline.resized($0, side: side)) }, side: side)
    }

    public var count: Int { items.count }

    /// Whether images are read from files when used.
    public let streams: Bool

    /// Image `index`, decoded and resized; `ManifestError.badImage`-style errors name the file.
    public func image(_ index: Int) throws -> RGBImage {
        switch items[index] {
        case let .pixels(image): return image
        case let .file(url): return InputPipeline.resized(try ImageFile.read(url), side: side)
        }
    }

    /// The images at `indices`, decoded on up to `workers` threads, in order.
    public func images(_ indices: [Int], workers: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> [RGBImage] {
        guard streams, workers > 1, indices.count > 1 else { return try indices.map(image) }
        let chunks = min(workers, indices.count)
        var results = [Result<RGBImage, any Error>?](repeating: nil, count: indices.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            for k in stride(from: chunk, to: indices.count, by: chunks) {
                let result = Result { try image(indices[k]) }
                lock.withLock { results[k] = result }
            }
        }
        return try results.map { try $0!.get() }
    }
}
