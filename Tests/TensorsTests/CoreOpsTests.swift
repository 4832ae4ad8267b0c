import Tensors
import TestSupport
import XCTest

/// Element-wise, reduction, matmul and layout ops against PyTorch fixtures and finite differences.
final class CoreOpsTests: XCTestCase {
    func testBinaryOpsMatchPyTorch() throws {
        try checkOp("add_broadcast") { x, _ in add(x[0], x[1]) }
        try checkOp("sub_broadcast") { x, _ in sub(x[0], x[1]) }
        try checkOp("mul_broadcast") { x, _ in mul(x[0], x[1]) }
        try checkOp("div_broadcast") { x, _ in div(x[0], x[1]) }
        try checkOp("maximum") { x, _ in maximum(x[0], x[1]) }
    }

    func testUnaryOpsMatchPyTorch() throws {
        try checkOp("exp") { x, _ in exp(x[0]) }
        try checkOp("log") { x, _ in log(x[0]) }
        try checkOp("sqrt") { x, _ in sqrt(x[0]) }
        try checkOp("pow") { x, _ in pow(x[0], 3) }
        try checkOp("relu") { x, _ in relu(x[0]) }
        try checkOp("tanh") { x, _ in tanh(x[0]) }
        try checkOp("sigmoid") { x, _ in sigmoid(x[0]) }
        try checkOp("gelu_erf") { x, _ in gelu(x[0]) }
        try checkOp("gelu_tanh") { x, _ in gelu(x[0], approximate: .tanh) }
    }

    /// The 16-lane relu kernels equal their scalar definition bit for bit on a tensor split across threads at a
    /// point that is no multiple of 16: NaN stays NaN, −0 stays −0, the gradient is g · (x ≤ 0 ? 0 : 1).
    func testReluKernelsEqualTheScalarDefinitionBitForBit() {
        var rng = RandomGenerator(seed: 3)
        let n = 70_013
        let special: [Float] = [.nan, -0.0, 0, .infinity, -.infinity, -1e-40, 1e-40]
        var xs = Tensor.randn([n], using: &rng).scalars, gs = Tensor.randn([n], using: &rng).scalars
        for (i, v) in special.enumerated() {
            xs[i * 9_973] = v
            gs[i * 7_919 + 5] = special[(i + 3) % special.count]
        }
        let x = Tensor(shape: [n], xs), g = Tensor(shape: [n], gs)
        let saved = Parallel.cores
        defer { Parallel.cores = saved }
        Parallel.cores = 2
        let (_, grads) = valueAndGrad(at: [x]) { t in sum(mul(relu(t[0]), g)) }
        let y = relu(x).scalars, gx = grads[0].scalars
        for i in 0..<n {
            let want = xs[i] < 0 ? 0 : xs[i], wantGrad = gs[i] * (xs[i] <= 0 ? 0 : 1)
            if y[i].bitPattern != want.bitPattern || gx[i].bitPattern != wantGrad.bitPattern {
                return XCTFail("relu at \(i): x \(xs[i]) → \(y[i]) (want \(want)), g \(gs[i]) → \(gx[i]) (want \(wantGrad))")
            }
        }
    }

    func testReductionsMatchPyTorch() throws {
        try checkOp("sum_axes") { x, _ in sum(x[0], axes: [0, 2]) }
        try checkOp("sum_keepdim") { x, _ in sum(x[0], axes: [1], keepDims: true) }
        try checkOp("mean_all") { x, _ in mean(x[0]) }
        try checkOp("max_axis") { x, _ in max(x[0], axis: 1) }
    }

    func testMatmulMatchesPyTorch() throws {
        try checkOp("matmul_2d") { x, _ in matmul(x[0], x[1]) }
        try checkOp("matmul_batched") { x, _ in matmul(x[0], x[1]) }
        try checkOp("matmul_shared_rhs") { x, _ in matmul(x[0], x[1]) }
        try checkOp("matmul_transposed") { x, _ in matmul(x[0], x[1], transposeA: true, transposeB: true) }
        try checkOp("linear_weight") { x, _ in matmul(x[0], x[1], transposeB: true) }
        try checkOp("linear") { x, _ in linear(x[0], weight: x[1], bias: x[2]) }
    }

    func testLayoutOpsMatchPyTorch() throws {
        try checkOp("permute") { x, _ in permute(x[0], [2, 0, 1]) }
        try checkOp("transpose") { x, _ in transpose(x[0], 0, 1) }
        try checkOp("reshape") { x, _ in reshape(x[0], [4, -1]) }
        try checkOp("slice") { x, _ in slice(x[0], axis: 1, 1..<3) }
    }

    func testFiniteDifferences() {
        var rng = RandomGenerator(seed: 1)
        let a = Tensor.randn([2, 3, 4], using: &rng), b = Tensor.randn([3, 1], using: &rng)
        let pos = Tensor.uniform([2, 3, 4], low: 0.5, high: 2, using: &rng)
        checkGradientsNumerically([a, b]) { x in add(x[0], x[1]) }
        checkGradientsNumerically([a, b]) { x in sub(x[0], x[1]) }
        checkGradientsNumerically([a, b]) { x in mul(x[0], x[1]) }
        checkGradientsNumerically([a, pos]) { x in div(x[0], x[1]) }
        checkGradientsNumerically([a]) { x in exp(x[0]) }
        checkGradientsNumerically([pos]) { x in log(x[0]) }
        checkGradientsNumerically([pos]) { x in sqrt(x[0]) }
        checkGradientsNumerically([a]) { x in pow(x[0], 3) }
        checkGradientsNumerically([a]) { x in tanh(x[0]) }
        checkGradientsNumerically([a]) { x in sigmoid(x[0]) }
        checkGradientsNumerically([a]) { x in gelu(x[0]) }
        checkGradientsNumerically([a]) { x in gelu(x[0], approximate: .tanh) }
        checkGradientsNumerically([pos]) { x in relu(x[0] - 1.25) }
        checkGradientsNumerically([a]) { x in sum(x[0], axes: [0, 2]) }
        checkGradientsNumerically([a]) { x in mean(x[0], axes: [1], keepDims: true) }
        checkGradientsNumerically([a]) { x in max(x[0], axis: 2) }
        checkGradientsNumerically([a]) { x in permute(x[0], [1, 2, 0]) }
        checkGradientsNumerically([a]) { x in reshape(x[0], [6, 4]) }
        checkGradientsNumerically([a]) { x in slice(x[0], axis: -1, 1..<3) }
        let m = Tensor.randn([2, 4, 5], using: &rng), w = Tensor.randn([3, 5], using: &rng)
        checkGradientsNumerically([m, w]) { x in matmul(x[0], x[1], transposeB: true) }
        checkGradientsNumerically([m, m]) { x in matmul(x[0], x[1], transposeA: true) }
        checkGradientsNumerically([m, w, Tensor.randn([3], using: &rng)]) { x in linear(x[0], weight: x[1], bias: x[2]) }
    }

    func testParameterUsedTwiceAccumulatesBothGradients() {
        let x = Tensor(shape: [3], [1, 2, 3])
        let g = grad { x in sum(mul(x, x) + x) }(x)
        XCTAssertEqual(g.scalars, [3, 5, 7])
    }

    func testNothingIsRecordedOutsideATape() {
        let w = Tensor(shape: [2], [1, 2])
        w.requiresGrad = true
        let y = mul(w, w)
        XCTAssertFalse(y.requiresGrad, "ops outside valueAndGrad must not record")
    }

    /// A storage view shares its parent's memory both ways and keeps the parent alive.
    func testStorageViewSharesMemory() {
        var view: Tensor
        do {
            let parent = Tensor(shape: [2, 3], [1, 2, 3, 4, 5, 6])
            view = Tensor(shape: [3], storage: TensorStorage(viewing: parent.storage, offset: 3, count: 3))
            XCTAssertEqual(view.scalars, [4, 5, 6])
            parent.mutableData[4] = 50
            XCTAssertEqual(view.scalars, [4, 50, 6])
            view.assign(Tensor(shape: [3], [7, 8, 9]))
            XCTAssertEqual(parent.scalars, [1, 2, 3, 7, 8, 9])
        }
        _ = Tensor(zeros: [2, 3])  // would reuse the parent's buffer if the view did not keep it alive
        XCTAssertEqual(view.scalars, [7, 8, 9])
    }
}
