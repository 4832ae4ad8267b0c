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

    func testRegionSelfAttentionBuildsOnTheRegionGridOfTheAttentionModelsOnly() throws {
        var config = config(.coAttention)
        config.regionSelfAttention = true
        let decoded = try JSONDecoder().decode(ImageTextModelConfig.self, from: JSONEncoder().encode(config))
        XCTAssertEqual(decoded, config)
        let model = try ImageTextModel(config: decoded)
        let fusion = try XCTUnwrap(model.fusion as? CrossAttentionFusion)
        let layer = try XCTUnwrap(fusion.namedModules().first { $0.key == "encoder.layers.0" }?.module as? CoTransformerLayer)
        XCTAssertEqual(layer.regionSelfAttention?.grid, RegionGrid(height: model.grid.height, width: model.grid.width))
        XCTAssertNil(try XCTUnwrap(try ImageTextModel(config: self.config(.coAttention)).fusion as? CrossAttentionFusion)
            .stateDict().keys.first { $0.contains("region_self_attention") })
        var cross = self.config(.crossAttention)
        cross.regionSelfAttention = true
        let crossModel = try ImageTextModel(config: cross)
        let encoder = try XCTUnwrap(crossModel.fusion as? CrossAttentionFusion).encoder
        XCTAssertEqual(encoder.regionSelfAttention?.grid, RegionGrid(height: crossModel.grid.height, width: crossModel.grid.width),
                       "the cross-attention model's regions attend to each other once, before its layer")
        var concat = self.config(.concat)
        concat.regionSelfAttention = true
        XCTAssertThrowsError(try concat.validate()) {
            XCTAssertEqual($0 as? ImageTextError, .invalidConfig(
                "region self-attention applies to the cross-attention and co-attention fusions only, found it set for concat; "
                    + "use --fusion cross-attention or co-attention, or remove it"))
        }
    }

    func testTheTextPointerBuildsOnTheRegionGridOfACoAttentionStackOfTwoOrMoreLayersOnly() throws {
        var config = config(.coAttention)
        config.textPointer = true
        let data = try JSONEncoder().encode(config)
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("\"text_pointer\":true"))
        let decoded = try JSONDecoder().decode(ImageTextModelConfig.self, from: data)
        XCTAssertEqual(decoded, config)
        let model = try ImageTextModel(config: decoded)
        let fusion = try XCTUnwrap(model.fusion as? CrossAttentionFusion)
        XCTAssertEqual(fusion.encoder.textPointer?.grid, RegionGrid(height: model.grid.height, width: model.grid.width))
        XCTAssertEqual(Set(fusion.stateDict().keys), Set(try XCTUnwrap(try ImageTextModel(config: self.config(.coAttention)).fusion as? CrossAttentionFusion).stateDict().keys),
                       "the pointer has no parameters")
        XCTAssertNil(try XCTUnwrap(try ImageTextModel(config: self.config(.coAttention)).fusion as? CrossAttentionFusion).encoder.textPointer)
        var cross = self.config(.crossAttention)
        cross.textPointer = true
        XCTAssertThrowsError(try cross.validate()) {
            XCTAssertEqual($0 as? ImageTextError, .invalidConfig(
                "the text pointer is a part of the co-attention layers, found it set for cross-attention; use --fusion co-attention or remove it"))
        }
        config.layers = 1
        XCTAssertThrowsError(try config.validate()) {
            XCTAssertEqual($0 as? ImageTextError, .invalidConfig(
                "the text pointer biases each co-attention layer after the first, found 1 layer; use 2 or more layers or remove it"))
        }
    }

    func testTextSharpeningScalesTheCoAttentionTextsAttentionOverTheRegionsOnly() throws {
        var config = config(.coAttention)
        config.textSharpening = 4
        let data = try JSONEncoder().encode(config)
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("\"text_sharpening\":4"))
        let decoded = try JSONDecoder().decode(ImageTextModelConfig.self, from: data)
        XCTAssertEqual(decoded, config)
        let layers = try ImageTextModel(config: decoded).fusion.namedModules().compactMap { $0.module as? CoTransformerLayer }
        XCTAssertEqual(layers.count, 2)
        for layer in layers {
            XCTAssertEqual(try XCTUnwrap(layer.textAttention.scale), 4 / Float(config.width / 8).squareRoot(), accuracy: 1e-6)
            XCTAssertNil(layer.visualAttention.scale, "the regions' attention over the text keeps PyTorch's scale")
        }
        let plain = try ImageTextModel(config: self.config(.coAttention)).fusion
        XCTAssertTrue(plain.namedModules().compactMap { ($0.module as? CoTransformerLayer)?.textAttention.scale }.isEmpty)
        XCTAssertEqual(Set(try ImageTextModel(config: decoded).fusion.stateDict().keys), Set(plain.stateDict().keys), "no parameters")
        var cross = self.config(.crossAttention)
        cross.textSharpening = 4
        XCTAssertThrowsError(try cross.validate()) {
            XCTAssertEqual($0 as? ImageTextError, .invalidConfig(
                "text sharpening is a part of the co-attention layers, found it set for cross-attention; use --fusion co-attention or remove it"))
        }
        config.textSharpening = 0
        XCTAssertThrowsError(try config.validate()) {
            XCTAssertEqual($0 as? ImageTextError, .invalidConfig("text sharpening must be a positive number (1: none), found 0.0"))
        }
    }

    func testTheAuxiliaryLossWeightRoundTripsBuildsTheClassifierAndIsRefusedWhereItCannotApply() throws {
        var config = config(.coAttention)
        config.readout = .text
        config.auxiliaryLossWeight = 0.5
        let data = try JSONEncoder().encode(config)
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("\"auxiliary_loss_weight\":0.5"))
        let decoded = try JSONDecoder().decode(ImageTextModelConfig.self, from: data)
        XCTAssertEqual(decoded, config)
        XCTAssertNotNil(try XCTUnwrap(try ImageTextModel(config: decoded).fusion as? CrossAttentionFusion).auxiliaryClassifier)
        var plain = self.config(.coAttention)
        plain.readout = .text
        XCTAssertNil(try XCTUnwrap(try ImageTextModel(config: plain).fusion as? CrossAttentionFusion).auxiliaryClassifier)
        let refusals: [(ImageTextModelConfig.Task, ImageTextModelConfig.Fusion, CrossAttentionFusion.Readout?, String)] = [
            (.classify, .coAttention, nil, "found classify with co-attention and the both-streams readout"),
            (.classify, .coAttention, .bothStreams, "found classify with co-attention and the both-streams readout"),
            (.classify, .concat, nil, "found classify with concat and the both-streams readout"),
            (.match, .crossAttention, .text, "found match with cross-attention and the text readout"),
        ]
        for (task, fusion, readout, found) in refusals {
            var wrong = self.config(fusion)
            (wrong.task, wrong.readout, wrong.auxiliaryLossWeight) = (task, readout, 1)
            XCTAssertThrowsError(try wrong.validate()) {
                XCTAssertEqual($0 as? ImageTextError, .invalidConfig(
                    "an auxiliary classifier applies to classification with the cross-attention or co-attention fusion and the text "
                        + "readout, \(found); set --readout text or remove it"))
            }
        }
        for weight: Float in [0, -1, .infinity] {
            config.auxiliaryLossWeight = weight
            XCTAssertThrowsError(try config.validate()) {
                XCTAssertEqual($0 as? ImageTextError, .invalidConfig("the auxiliary loss weight must be a positive number, found \(weight)"))
            }
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
