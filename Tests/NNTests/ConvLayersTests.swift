import NN
import Tensors
import TestSupport
import XCTest

/// Conv2d, BatchNorm2d, pooling and ReLU6 layers against PyTorch state dicts, in train and eval mode.
final class ConvLayersTests: XCTestCase {
    /// The fixture entries `<prefix>.<key>` as a state dict.
    private func state(_ fx: [String: Tensor], _ prefix: String) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: fx.filter { $0.key.hasPrefix(prefix + ".") }
            .map { (String($0.key.dropFirst(prefix.count + 1)), $0.value) })
    }

    func testConvBatchNormLoadsPyTorchStateDictAndMatchesTrainingStepAndEval() throws {
        let fx = try Fixture.load("conv_bn_module")
        let model = Sequential([Conv2d(3, 6, kernelSize: 3, stride: 2, padding: 1), BatchNorm2d(6, momentum: 0.3),
                                ReLU6(), MaxPool2d(kernelSize: 2)])
        XCTAssertEqual(model.stateDict().keys.sorted(), state(fx, "state").keys.sorted())
        try model.loadStateDict(state(fx, "state"))
        let x = fx.tensor("x"), gout = fx.tensor("gout")
        var out: Tensor?
        let (_, g) = valueAndGrad(model) { m in
            out = m(x)
            return sum(mul(out!, gout))
        }
        assertClose(try XCTUnwrap(out), fx.tensor("train_out"), rtol: 1e-5, atol: 1e-5, "training forward")
        for key in ["0.weight", "0.bias", "1.weight", "1.bias"] {
            assertClose(try XCTUnwrap(g[key]), fx.tensor("grad.\(key)"), rtol: 1e-4, atol: 1e-5, "\(key) grad")
        }
        let after = state(fx, "after"), now = model.stateDict()
        for key in ["1.running_mean", "1.running_var", "1.num_batches_tracked"] {
            assertClose(try XCTUnwrap(now[key]), after[key]!, rtol: 1e-5, atol: 1e-6, "\(key) after one training step")
        }
        let (_, gx) = valueAndGrad(at: [x]) { v in
            try! model.loadStateDict(state(fx, "state"))
            return sum(mul(model(v[0]), gout))
        }
        assertClose(gx[0], fx.tensor("grad_x"), rtol: 1e-4, atol: 1e-5, "input grad")

        try model.loadStateDict(after)
        model.eval()
        let before = model.stateDict().mapValues(\.scalars)
        assertClose(model(x), fx.tensor("eval_out"), rtol: 1e-5, atol: 1e-5, "eval forward")
        XCTAssertEqual(model.stateDict().mapValues(\.scalars), before, "eval mode leaves the buffers alone")
    }

    func testDepthwiseBlockMatchesPyTorchInEval() throws {
        let fx = try Fixture.load("depthwise_block")
        let block = Sequential([Conv2d(8, 8, kernelSize: 3, stride: 2, padding: 1, groups: 8, bias: false), BatchNorm2d(8),
                                ReLU6(), Conv2d(8, 5, kernelSize: 1)])
        try block.loadStateDict(state(fx, "state"))
        block.eval()
        let features = block(fx.tensor("x"))
        assertClose(features, fx.tensor("features"), rtol: 1e-5, atol: 1e-5, "features")
        assertClose(AdaptiveAvgPool2d(outputSize: 1)(features), fx.tensor("pooled"), rtol: 1e-5, atol: 1e-6, "pooled")
        assertClose(AvgPool2d(kernelSize: 3, stride: 2, padding: 1)(features), fx.tensor("avg"), rtol: 1e-5, atol: 1e-6, "avg")
    }

    func testDefaultInitAndKeys() {
        Random.seed(5)
        let conv = Conv2d(6, 12, kernelSize: (3, 5), groups: 2)
        XCTAssertEqual(conv.weight.shape, [12, 3, 3, 5])
        XCTAssertEqual(conv.namedParameters().map(\.key), ["weight", "bias"])
        let bound = 1 / Float(3 * 3 * 5).squareRoot()
        for t in [conv.weight, conv.bias!] {
            XCTAssertLessThanOrEqual(t.scalars.map(abs).max()!, bound)
        }
        XCTAssertGreaterThan(conv.weight.scalars.map(abs).max()!, 0.9 * bound, "uniform over the whole bound")
        XCTAssertNil(Conv2d(2, 2, kernelSize: 1, bias: false).bias)

        let bn = BatchNorm2d(3)
        XCTAssertEqual(bn.namedParameters().map(\.key), ["weight", "bias"])
        XCTAssertEqual(bn.namedBuffers().map(\.key), ["running_mean", "running_var", "num_batches_tracked"])
        XCTAssertEqual(bn.weight.scalars, [1, 1, 1])
        XCTAssertEqual(bn.bias.scalars, [0, 0, 0])
        XCTAssertEqual(bn.runningMean.scalars, [0, 0, 0])
        XCTAssertEqual(bn.runningVar.scalars, [1, 1, 1])
        XCTAssertEqual(bn.numBatchesTracked.shape, [])
        let x = Tensor.randn([2, 3, 4, 4], using: &Random.generator)
        _ = bn(x)
        _ = bn(x)
        XCTAssertEqual(bn.numBatchesTracked.item, 2)
        bn.eval()
        _ = bn(x)
        XCTAssertEqual(bn.numBatchesTracked.item, 2)
    }

    func testParameterFreeLayers() {
        let x = Tensor(shape: [1, 1, 2, 4], [-1, 0, 3, 7, 6, 2, 1, 5])
        XCTAssertEqual(ReLU6()(x).scalars, [0, 0, 3, 6, 6, 2, 1, 5])
        XCTAssertEqual(MaxPool2d(kernelSize: 2)(x).scalars, [6, 7])
        XCTAssertEqual(AvgPool2d(kernelSize: (2, 2), stride: (1, 2))(x).scalars, [1.75, 4])
        XCTAssertEqual(AdaptiveAvgPool2d(outputSize: (1, 1))(x).scalars, [2.875])
        for layer in [ReLU6(), MaxPool2d(kernelSize: 2), AvgPool2d(kernelSize: 2), AdaptiveAvgPool2d(outputSize: 1)] as [Module] {
            XCTAssertTrue(layer.stateDict().isEmpty)
        }
    }

    /// Precise statistics: the running mean is the plain average of the batch means (variance: of the
    /// unbiased batch variances), momentum and mode come back, and nothing else changes.
    func testRecomputeBatchNormStatistics() {
        Random.seed(8)
        let model = Sequential([Conv2d(2, 3, kernelSize: 3), BatchNorm2d(3)])
        let bn = model.layers[1] as! BatchNorm2d
        let batches = (0..<3).map { i in Tensor.randn([2, 2, 5, 5], mean: Float(i), using: &Random.generator) }
        let weightsBefore = model.stateDict().filter { !$0.key.contains("running") && !$0.key.contains("batches") }.mapValues { $0.copy() }
        model.eval()
        recomputeBatchNormStatistics(model, batches: 3) { _ = model(batches[$0]) }
        XCTAssertFalse(model.isTraining)
        XCTAssertEqual(bn.momentum, 0.1)
        XCTAssertEqual(bn.numBatchesTracked.item, 3)
        let maps = batches.map { (model.layers[0] as! Conv2d)($0) }  // [2, 3, 3, 3] each
        for c in 0..<3 {
            let stats = maps.map { m -> (Float, Float) in
                let v = (0..<2).flatMap { n in (0..<9).map { m.data[(n * 3 + c) * 9 + $0] } }
                let mean = v.reduce(0, +) / Float(v.count)
                return (mean, v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(v.count - 1))
            }
            XCTAssertEqual(bn.runningMean.data[c], stats.map(\.0).reduce(0, +) / 3, accuracy: 1e-4)
            XCTAssertEqual(bn.runningVar.data[c], stats.map(\.1).reduce(0, +) / 3, accuracy: 1e-3)
        }
        for (key, value) in weightsBefore { XCTAssertEqual(model.stateDict()[key]!.scalars, value.scalars, key) }
    }
}
