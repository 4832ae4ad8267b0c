import CrossModal
import Foundation
import OwnData
import XCTest

/// `ImageTextModelConfig.readout`: absent from bundles written before it (both streams), stored when set, and
/// refused for fusions without cross-modal layers.
final class ImageTextModelConfigTests: XCTestCase {
    private func config(_ fusion: ImageTextModelConfig.Fusion) -> ImageTextModelConfig {
        var config = ImageTextModelConfig(task: .classify, fusion: fusion, imageEncoder: .smallCNN, textEncoder: .learned)
        (config.width, config.labels, config.vocabulary) = (16, ["no", "yes"], ["[PAD]", "[UNK]", "red"])
        return config
    }

    func testAConfigWithoutReadoutBuildsTheBothStreamsModel() throws {
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(config(.coAttention))) as? [String: Any])
        XCTAssertNil(json["readout"], "unset: not written")
        json.removeValue(forKey: "readout")
        let decoded = try JSONDecoder().decode(ImageTextModelConfig.self, from: JSONSerialization.data(withJSONObject: json))
        XCTAssertNil(decoded.readout)
        let fusion = try XCTUnwrap(try ImageTextModel(config: decoded).fusion as? CrossAttentionFusion)
        XCTAssertEqual(fusion.readout, .bothStreams)
        XCTAssertEqual(fusion.jointDim, 32)
    }

    func testTheTextReadoutRoundTripsAndBuildsATextReadoutModel() throws {
        for fusion in [ImageTextModelConfig.Fusion.crossAttention, .coAttention] {
            var config = config(fusion)
            config.readout = .text
            let data = try JSONEncoder().encode(config)
            XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("\"readout\":\"text\""))
            let decoded = try JSONDecoder().decode(ImageTextModelConfig.self, from: data)
            XCTAssertEqual(decoded, config)
            let model = try XCTUnwrap(try ImageTextModel(config: decoded).fusion as? CrossAttentionFusion)
            XCTAssertEqual(model.readout, .text)
            XCTAssertEqual(model.jointDim, 16)
        }
    }

    func testAReadoutForAFusionWithoutCrossModalLayersIsRefused() {
        for fusion in [ImageTextModelConfig.Fusion.concat, .gridMLP] {
            var config = config(fusion)
            config.readout = .text
            XCTAssertThrowsError(try config.validate()) {
                XCTAssertEqual($0 as? ImageTextError, .invalidConfig(
                    "a readout applies to the cross-attention and co-attention fusions only, found it set for \(fusion.rawValue); remove it"))
            }
        }
    }
}
