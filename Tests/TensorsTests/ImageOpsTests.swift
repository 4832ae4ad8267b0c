import Tensors
import TestSupport
import XCTest

/// Convolution, batch norm, pooling and clamping against PyTorch fixtures and finite differences.
final class ImageOpsTests: XCTestCase {
    func testConv2dMatchesPyTorch() throws {
        try checkOp("conv2d_stride2_pad1") { x, _ in conv2d(x[0], weight: x[1], bias: x[2], stride: (2, 2), padding: (1, 1)) }
        try checkOp("conv2d_groups2") { x, _ in
            conv2d(x[0], weight: x[1], bias: x[2], stride: (1, 2), padding: (2, 1), groups: 2)
        }
        try checkOp("conv2d_depthwise") { x, _ in conv2d(x[0], weight: x[1], stride: (2, 2), padding: (1, 1), groups: 6) }
        try checkOp("conv2d_depthwise_multiplier") { x, _ in
            conv2d(x[0], weight: x[1], bias: x[2], padding: (2, 2), groups: 3)
        }
        try checkOp("conv2d_1x1") { x, _ in conv2d(x[0], weight: x[1], bias: x[2]) }
    }

    /// The batch split across cores (single-threaded BLAS per chunk, partial weight gradients) gives the
    /// same output and gradients as convolving each image on its own.
    func testConv2dParallelBatchMatchesPerImage() {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randn([5, 8, 12, 11], using: &rng), w = Tensor.randn([16, 8, 3, 3], using: &rng)
        let b = Tensor.randn([16], using: &rng), gout = Tensor.randn([5, 16, 12, 11], using: &rng)
        let f: ([Tensor]) -> Tensor = { v in conv2d(v[0], weight: v[1], bias: v[2], padding: (1, 1)) }
        let (_, grads) = valueAndGrad(at: [x, w, b]) { v in sum(mul(f(v), gout)) }
        let out = f([x, w, b])
        var dw = Tensor(zeros: w.shape), db = Tensor(zeros: b.shape)
        for n in 0..<5 {
            let xn = slice(x, axis: 0, n..<(n + 1)), gn = slice(gout, axis: 0, n..<(n + 1))
            assertClose(slice(out, axis: 0, n..<(n + 1)), f([xn, w, b]), rtol: 1e-5, atol: 1e-5, "image \(n) output")
            let (_, g) = valueAndGrad(at: [xn, w, b]) { v in sum(mul(f(v), gn)) }
            assertClose(slice(grads[0], axis: 0, n..<(n + 1)), g[0], rtol: 1e-5, atol: 1e-5, "image \(n) input grad")
            dw = add(dw, g[1])
            db = add(db, g[2])
        }
        assertClose(grads[1], dw, rtol: 1e-4, atol: 1e-4, "weight grad")
        assertClose(grads[2], db, rtol: 1e-4, atol: 1e-4, "bias grad")
    }

    func testBatchNormTrainingMatchesPyTorchAndUpdatesRunningStats() throws {
        let fx = try Fixture.load("batch_norm_train")
        try checkOp("batch_norm_train", rtol: 1e-5, atol: 1e-5) { x, fx in
            batchNorm2d(x[0], weight: x[1], bias: x[2], runningMean: fx.tensor("running_mean").copy(),
                        runningVar: fx.tensor("running_var").copy(), training: true, momentum: 0.2, eps: 1e-3)
        }
        let rm = fx.tensor("running_mean").copy(), rv = fx.tensor("running_var").copy()
        _ = batchNorm2d(fx.tensor("x0"), weight: fx.tensor("x1"), bias: fx.tensor("x2"), runningMean: rm, runningVar: rv,
                        training: true, momentum: 0.2, eps: 1e-3)
        assertClose(rm, fx.tensor("running_mean_after"), rtol: 1e-5, atol: 1e-6, "running mean")
        assertClose(rv, fx.tensor("running_var_after"), rtol: 1e-5, atol: 1e-6, "running var (unbiased)")
    }

    func testBatchNormEvalMatchesPyTorchAndLeavesRunningStats() throws {
        let fx = try Fixture.load("batch_norm_eval")
        let rm = fx.tensor("running_mean"), rv = fx.tensor("running_var")
        let (savedMean, savedVar) = (rm.scalars, rv.scalars)
        try checkOp("batch_norm_eval", rtol: 1e-5, atol: 1e-5) { x, _ in
            batchNorm2d(x[0], weight: x[1], bias: x[2], runningMean: rm, runningVar: rv, training: false,
                        momentum: 0.2, eps: 1e-3)
        }
        XCTAssertEqual(rm.scalars, savedMean)
        XCTAssertEqual(rv.scalars, savedVar)
        assertClose(rm, fx.tensor("running_mean_after"), rtol: 0, atol: 0, "PyTorch leaves running mean")
    }

    func testPoolingMatchesPyTorch() throws {
        try checkOp("max_pool_pad") { x, _ in maxPool2d(x[0], kernel: (3, 3), stride: (2, 2), padding: (1, 1)) }
        try checkOp("max_pool_default_stride") { x, _ in maxPool2d(x[0], kernel: (2, 3)) }
        try checkOp("avg_pool_pad") { x, _ in avgPool2d(x[0], kernel: (3, 3), stride: (2, 2), padding: (1, 1)) }
        try checkOp("adaptive_avg_pool_1x1") { x, _ in adaptiveAvgPool2d(x[0], outputSize: (1, 1)) }
        try checkOp("adaptive_avg_pool_5to3") { x, _ in adaptiveAvgPool2d(x[0], outputSize: (3, 2)) }
    }

    /// The fixtures hold values exactly at the bounds: relu6 passes no gradient at 0 and 6 (hardtanh),
    /// clamp passes it at both bounds (torch.clamp).
    func testClampAndReLU6MatchPyTorchIncludingBounds() throws {
        try checkOp("relu6") { x, _ in relu6(x[0]) }
        try checkOp("clamp") { x, _ in clamp(x[0], min: -0.5, max: 1) }
        let x = Tensor(shape: [5], [-1, 0, 3, 6, 7])
        let (_, g) = valueAndGrad(at: [x]) { v in sum(relu6(v[0])) }
        XCTAssertEqual(g[0].scalars, [0, 0, 1, 0, 0])
        let (_, gc) = valueAndGrad(at: [x]) { v in sum(clamp(v[0], min: 0)) }
        XCTAssertEqual(gc[0].scalars, [0, 1, 1, 1, 1])
        XCTAssertEqual(clamp(x, max: 2).scalars, [-1, 0, 2, 2, 2])
    }

    func testFiniteDifferences() {
        var rng = RandomGenerator(seed: 11)
        let x = Tensor.randn([2, 4, 6, 5], using: &rng)
        checkGradientsNumerically([x, Tensor.randn([3, 4, 3, 3], using: &rng), Tensor.randn([3], using: &rng)]) { v in
            conv2d(v[0], weight: v[1], bias: v[2], stride: (2, 1), padding: (1, 2))
        }
        checkGradientsNumerically([x, Tensor.randn([4, 2, 2, 3], using: &rng)]) { v in
            conv2d(v[0], weight: v[1], stride: (1, 2), padding: (0, 1), groups: 2)
        }
        checkGradientsNumerically([x, Tensor.randn([8, 1, 3, 3], using: &rng), Tensor.randn([8], using: &rng)]) { v in
            conv2d(v[0], weight: v[1], bias: v[2], stride: (2, 2), padding: (1, 1), groups: 4)
        }
        checkGradientsNumerically([x, Tensor.randn([3, 4, 1, 1], using: &rng)]) { v in conv2d(v[0], weight: v[1]) }
        let scale = Tensor.uniform([4], low: 0.5, high: 1.5, using: &rng), shift = Tensor.randn([4], using: &rng)
        checkGradientsNumerically([x, scale, shift]) { v in
            batchNorm2d(v[0], weight: v[1], bias: v[2], runningMean: nil, runningVar: nil, training: true)
        }
        let rm = Tensor.randn([4], using: &rng), rv = Tensor.uniform([4], low: 0.5, high: 2, using: &rng)
        checkGradientsNumerically([x, scale, shift]) { v in
            batchNorm2d(v[0], weight: v[1], bias: v[2], runningMean: rm, runningVar: rv, training: false)
        }
        // Distinct values 0.1 apart, so a finite-difference step never changes which element is the maximum.
        var order = Array(0..<x.count)
        order.shuffle(using: &rng)
        let spread = Tensor(shape: x.shape, order.map { Float($0) * 0.1 })
        checkGradientsNumerically([spread]) { v in maxPool2d(v[0], kernel: (3, 2), stride: (2, 2), padding: (1, 1)) }
        checkGradientsNumerically([x]) { v in avgPool2d(v[0], kernel: (3, 3), stride: (2, 1), padding: (1, 1)) }
        checkGradientsNumerically([x]) { v in adaptiveAvgPool2d(v[0], outputSize: (4, 3)) }
        let away = Tensor(shape: [8], [-2, -0.3, 0.4, 2.5, 5.5, 6.4, 9, 1])
        checkGradientsNumerically([away]) { v in relu6(v[0]) }
        checkGradientsNumerically([away]) { v in clamp(v[0], min: 0.2, max: 3) }
    }

    func testOutputShapes() {
        let x = Tensor(zeros: [1, 2, 5, 5])
        XCTAssertEqual(conv2d(x, weight: Tensor(zeros: [3, 2, 3, 3]), stride: (2, 2)).shape, [1, 3, 2, 2])
        XCTAssertEqual(maxPool2d(x, kernel: (2, 2)).shape, [1, 2, 2, 2])
        XCTAssertEqual(avgPool2d(x, kernel: (3, 3), stride: (1, 1), padding: (1, 1)).shape, [1, 2, 5, 5])
        XCTAssertEqual(adaptiveAvgPool2d(x, outputSize: (3, 3)).shape, [1, 2, 3, 3])
    }
}
