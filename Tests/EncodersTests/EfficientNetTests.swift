import Encoders
import Foundation
import Imaging
import NN
import Tensors
import TestSupport
import XCTest

/// The pretrained EfficientNet-Lite0 against the PyTorch port (fixture `tools/fixtures/fx_efficientnet.py`:
/// same checkpoint, same preprocessing, four generated PNGs). The checkpoint comes from the model cache
/// (`make test` fetches it first, so nothing is skipped).
final class EfficientNetTests: XCTestCase {
    nonisolated(unsafe) static var cached: EfficientNetLite0?

    func model() throws -> EfficientNetLite0 {
        if let m = Self.cached { return m }
        let m = try EfficientNetLite0.pretrained()
        Self.cached = m
        return m
    }

    /// The fixture images, preprocessed, in file-name order.
    func fixtureBatch() throws -> Tensor {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let images = try ["gradient", "object", "shapes", "stripes"].map {
            try PNG.read(dir.appendingPathComponent("efficientnet_\($0).png"))
        }
        XCTAssertEqual(images.map(\.width), [64, 96, 72, 40])
        return ImageNetPreprocessing.batch(images)
    }

    func check(_ features: ImageFeatures, _ what: String) throws {
        let fx = try Fixture.load("efficientnet")
        assertClose(features.logits, fx["logits"]!, rtol: 1e-4, atol: 1e-4, "\(what) logits")
        assertClose(features.pooled, fx["pooled"]!, rtol: 1e-4, atol: 1e-5, "\(what) pooled")
        let top1 = (0..<4).map { i in
            (0..<1000).max { features.logits.data[i * 1000 + $0] < features.logits.data[i * 1000 + $1] }!
        }
        XCTAssertEqual(top1, fx["top1"]!.scalars.map { Int($0) }, "\(what) top-1")
        XCTAssertEqual(features.regions.shape, [4, 49, 1280])
        assertClose(mean(features.regions, axes: [1]), features.pooled, rtol: 1e-5, atol: 1e-6, "\(what) regions mean")
    }

    func testPretrainedMatchesPyTorch() throws {
        try check(model()(fixtureBatch()), "module")
    }

    func testFoldedBatchNormMatchesPyTorch() throws {
        try check(model().folded()(fixtureBatch()), "folded")
    }

    func testCheckpointKeysAndParameterCount() throws {
        let m = EfficientNetLite0()
        let keys = m.stateDict().keys
        XCTAssertEqual(keys.count, 296)
        for key in ["_conv_stem.weight", "_bn0.num_batches_tracked", "_blocks.0._depthwise_conv.weight",
                    "_blocks.15._project_conv.weight", "_blocks.1._expand_conv.weight", "_conv_head.weight",
                    "_bn1.running_var", "_fc.bias"] {
            XCTAssertTrue(keys.contains(key), key)
        }
        XCTAssertFalse(keys.contains("_blocks.0._expand_conv.weight"), "block 0 has no expansion")
        XCTAssertEqual(m.parameterCount, 4_652_008)  // 4,694,024 state-dict elements minus BatchNorm buffers
    }

    func testStrictLoadingNamesBadKeys() throws {
        var state = EfficientNetLite0().stateDict()
        state["_blocks.3._bn1.running_mean"] = nil
        state["_blocks.3._se_reduce.weight"] = Tensor(zeros: [6, 144, 1, 1])
        state["_fc.weight"] = Tensor(zeros: [10, 1280])
        XCTAssertThrowsError(try EfficientNetLite0().loadStateDict(state)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("_blocks.3._bn1.running_mean"), text)
            XCTAssertTrue(text.contains("_blocks.3._se_reduce.weight"), text)
            XCTAssertTrue(text.contains("_fc.weight"), text)
        }
    }

    func testMissingCheckpointSaysHowToFetch() throws {
        let env = [ModelCache.environmentVariable: "/nonexistent-crossmodal-cache"]
        XCTAssertThrowsError(try EfficientNetLite0.pretrained(environment: env)) { error in
            XCTAssertEqual(error as? EncoderError, .modelMissing(
                directory: "/nonexistent-crossmodal-cache/models/efficientnet-lite0",
                file: "efficientnet-lite0-57934424.pth", fetchCommand: "tools/fetch-efficientnet.sh"))
        }
    }

    /// TensorFlow "SAME" padding: ⌈size/stride⌉ outputs, the odd pixel of padding after (bottom/right).
    func testSamePadding() throws {
        XCTAssertTrue(samePadding(size: 224, kernel: 3, stride: 2) == (0, 1))
        XCTAssertTrue(samePadding(size: 56, kernel: 5, stride: 2) == (1, 2))
        XCTAssertTrue(samePadding(size: 14, kernel: 5, stride: 1) == (2, 2))
        XCTAssertTrue(samePadding(size: 7, kernel: 3, stride: 2) == (1, 1))
        // Stride 2, kernel 3 on 4×4: padding (0, 1); output (0, 0) sums rows/cols 0…2, output (1, 1) rows/cols
        // 2…3 plus the zero row/column 4.
        let x = Tensor(shape: [1, 2, 4, 4], (0..<32).map { Float($0) })
        let out = conv2dSamePadding(x, weight: Tensor(shape: [1, 2, 3, 3], repeating: 1), stride: 2)
        XCTAssertEqual(out.shape, [1, 1, 2, 2])
        func window(_ rows: Range<Int>, _ cols: Range<Int>) -> Float {
            var s: Float = 0
            for c in 0..<2 { for r in rows { for q in cols { s += Float(c * 16 + r * 4 + q) } } }
            return s
        }
        XCTAssertEqual(out.scalars, [window(0..<3, 0..<3), window(0..<3, 2..<4), window(2..<4, 0..<3), window(2..<4, 2..<4)])
        Random.seed(4)
        let xs = Tensor.randn([2, 3, 5, 6], using: &Random.generator), ws = Tensor.randn([3, 1, 3, 3], using: &Random.generator)
        checkGradientsNumerically([xs, ws]) { t in conv2dSamePadding(t[0], weight: t[1], stride: 2, groups: 3) }
        // Any input size: ⌈size/32⌉ regions.
        let m = EfficientNetLite0()
        m.eval()
        XCTAssertEqual(m.featureMap(Tensor.randn([1, 3, 100, 130], using: &Random.generator)).shape, [1, 1280, 4, 5])
    }
}

/// `ImageEmbedding` (what `crossmodal embed-images` runs): batching keeps rows in order and gives the same
/// features as one batch; PNG and IDX inputs.
final class ImageEmbeddingTests: XCTestCase {
    func testBatchedEmbeddingMatchesFixtureAndKeepsOrder() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let urls = ["gradient", "object", "shapes"].map { dir.appendingPathComponent("efficientnet_\($0).png") }
        let images = try ImageEmbedding.readImages(urls)
        let encoder = try EfficientNetLite0.pretrained().folded()
        var calls: [Int] = []
        let out = ImageEmbedding.embed(count: 3, image: { images[$0] }, encoder: encoder, batchSize: 2, logits: true) { done, total in
            XCTAssertEqual(total, 3)
            calls.append(done)
        }
        XCTAssertEqual(calls, [2, 3])
        XCTAssertEqual(out["regions"]?.shape, [3, 49, 1280])
        let fx = try Fixture.load("efficientnet")
        assertClose(out["pooled"]!, slice(fx["pooled"]!, axis: 0, 0..<3), rtol: 1e-4, atol: 1e-5, "pooled")
        assertClose(out["logits"]!, slice(fx["logits"]!, axis: 0, 0..<3), rtol: 1e-4, atol: 1e-4, "logits")
        let pooledOnly = ImageEmbedding.embed(count: 1, image: { images[2 - $0] }, encoder: encoder, regions: false)
        XCTAssertEqual(Set(pooledOnly.keys), ["pooled"])
        assertClose(pooledOnly["pooled"]!, slice(out["pooled"]!, axis: 0, 2..<3), rtol: 1e-5, atol: 1e-6, "batch of one")
    }

    func testReadsIDXImagesWithLimit() throws {
        let url = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
        let images = try ImageEmbedding.readImages([url], limit: 3)
        XCTAssertEqual(images.count, 3)
        XCTAssertEqual(images[0].width, 28)
        XCTAssertThrowsError(try ImageEmbedding.readImages([url, url])) { XCTAssertTrue("\($0)" .contains("PNG"), "\($0)") }
    }
}
