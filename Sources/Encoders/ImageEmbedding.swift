import Foundation
import Imaging
import Tensors

/// Embeds many images with the folded EfficientNet-Lite0 in batches and collects the results as named tensors
/// for a safetensors file (what `crossmodal embed-images` writes).
///
/// Keys (N images, R regions = 49 at 224 px, D = 1280):
/// - `pooled` [N, D]: the spatial mean of the last feature map;
/// - `regions` [N, R, D]: the last feature map as region tokens, row-major over the 7×7 grid (omitted
///   without `regions`);
/// - `logits` [N, 1000]: ImageNet class scores (only with `logits`).
/// Rows are in input order.
public enum ImageEmbedding {
    /// Preprocesses (`ImageNetPreprocessing`) and encodes images `0..<count`, produced on demand by `image`
    /// (so a large IDX file is never expanded to 224 px all at once), `batchSize` at a time; each batch uses
    /// both cores inside its convolutions. `progress(done, total)` is called after each batch.
    public static func embed(
        count: Int, image: (Int) -> RGBImage, encoder: FoldedEfficientNetLite0, batchSize: Int = 16,
        regions: Bool = true, logits: Bool = false, progress: (Int, Int) -> Void = { _, _ in }
    ) -> [String: Tensor] {
        precondition(batchSize > 0, "ImageEmbedding.embed: batch size \(batchSize) must be positive")
        let d = EfficientNetLite0.featureDim
        let side = (EfficientNetLite0.imageSize + 31) / 32, r = side * side
        let pooled = Tensor(zeros: [count, d])
        let regionTensor = regions ? Tensor(zeros: [count, r, d]) : nil
        let logitTensor = logits ? Tensor(zeros: [count, EfficientNetLite0.classCount]) : nil
        for start in stride(from: 0, to: count, by: batchSize) {
            let rows = start..<min(start + batchSize, count)
            let out = encoder(ImageNetPreprocessing.batch(rows.map(image)))
            (pooled.mutableData + start * d).update(from: out.pooled.data, count: rows.count * d)
            if let regionTensor { copyRows(out.regions, into: regionTensor, at: start) }
            if let logitTensor { copyRows(out.logits, into: logitTensor, at: start) }
            progress(rows.upperBound, count)
        }
        var result = ["pooled": pooled]
        if let regionTensor { result["regions"] = regionTensor }
        if let logitTensor { result["logits"] = logitTensor }
        return result
    }

    /// Copies the rows of `batch` (a contiguous tensor, e.g. [B, R, D] from a transpose) into `all` from row `start`.
    private static func copyRows(_ batch: Tensor, into all: Tensor, at start: Int) {
        let per = all.count / all.shape[0]
        (all.mutableData + start * per).update(from: batch.data, count: batch.count)
    }

    /// The images of `urls`: PNG files (any number), or a single IDX file of [count, height, width] gray
    /// images, gzip'd or not (e.g. Fashion-MNIST's `t10k-images-idx3-ubyte.gz`), of which the first `limit`.
    public static func readImages(_ urls: [URL], limit: Int? = nil) throws -> [RGBImage] {
        let pngMagic: [UInt8] = [0x89, 0x50, 0x4E, 0x47]
        if urls.count == 1, let handle = FileHandle(forReadingAtPath: urls[0].path) {
            let head = [UInt8](handle.readData(ofLength: 4))
            try? handle.close()
            if head != pngMagic {
                let idx = try IDX.read(urls[0])
                let images = try idx.grayImages(path: urls[0].path)
                return Array(images.prefix(limit ?? images.count))
            }
        }
        return try urls.prefix(limit ?? urls.count).map(PNG.read)
    }
}
