import Tensors
import TestSupport
import XCTest

/// Unpadding: pack/unpack/segmentMean and attention over packed queries or keys give exactly what the padded
/// computation gives at valid positions (values and gradients), checked against the padded ops (themselves
/// fixture-checked against PyTorch) and by finite differences.
final class PackedSequencesTests: XCTestCase {
    private let mask = Mask.padding(lengths: [4, 2, 0], maxLength: 4)

    /// Attention output of `query` over packed key/value projection `kv` (no dropout).
    private func attend(_ q: Tensor, _ kv: Tensor, queryLayout: PackedLayout? = nil, keyLayout: PackedLayout? = nil,
                        keyPaddingMask: Mask? = nil) -> Tensor {
        var g = RandomGenerator(seed: 0)
        return scaledDotProductAttention(query: q, packedKeyValue: kv, heads: 2, queryLayout: queryLayout, keyLayout: keyLayout,
                                         keyPaddingMask: keyPaddingMask, generator: &g).output
    }

    func testPackUnpackAndSegmentMean() {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randn([3, 4, 5], using: &rng)
        let layout = PackedLayout(paddingMask: mask)
        XCTAssertEqual(layout.offsets, [0, 4, 6, 6])
        let packed = pack(x, layout)
        XCTAssertEqual(packed.shape, [6, 5])
        let masked = x.scalars.enumerated().map { mask.values[$0.offset / 5] ? 0 : $0.element }
        assertClose(unpack(packed, layout), Tensor(shape: x.shape, masked), "unpack(pack(x))")
        assertClose(segmentMean(packed, layout), maskedMean(x, paddingMask: mask), rtol: 0, atol: 0, "segmentMean")
        checkGradientsNumerically([x]) { xs in segmentMean(pack(xs[0], layout), layout) }
        checkGradientsNumerically([packed]) { xs in unpack(xs[0], layout) }
    }

    /// Vision-style queries over packed text keys/values, and packed text queries over padded keys.
    func testAttentionOverPackedSequencesMatchesPadded() {
        var rng = RandomGenerator(seed: 4)
        let layout = PackedLayout(paddingMask: mask)
        let q = Tensor.randn([3, 3, 8], using: &rng), kv = Tensor.randn([3, 4, 16], using: &rng)
        let gout = Tensor.randn([3, 3, 8], using: &rng)
        let padded = valueAndGrad(at: [q, kv]) { x in
            sum(mul(attend(x[0], x[1], keyPaddingMask: mask), gout))
        }
        let packedKV = pack(kv, layout)
        let packed = valueAndGrad(at: [q, packedKV]) { x in
            sum(mul(attend(x[0], x[1], keyLayout: layout), gout))
        }
        assertClose(packed.0, padded.0, "packed keys: value")
        assertClose(packed.1[0], padded.1[0], "packed keys: query gradient")
        assertClose(unpack(packed.1[1], layout), padded.1[1], "packed keys: key/value gradient")
        checkGradientsNumerically([q, packedKV]) { x in
            attend(x[0], x[1], keyLayout: layout)
        }

        // Packed queries (text attending to vision): valid rows equal the padded call's.
        let text = Tensor.randn([3, 4, 8], using: &rng), visual = Tensor.randn([3, 3, 16], using: &rng)
        let full = attend(text, visual)
        let packedText = pack(text, layout)
        let rows = attend(packedText, visual, queryLayout: layout)
        assertClose(rows, pack(full, layout), "packed queries")
        checkGradientsNumerically([packedText, visual]) { x in
            attend(x[0], x[1], queryLayout: layout)
        }
    }

    /// Self-attention over packed sequences of one fused Q|K|V projection (BERT without padding): each valid
    /// row equals the padded call with a key padding mask, values and gradients.
    func testPackedSelfAttentionMatchesPadded() {
        var rng = RandomGenerator(seed: 6)
        let layout = PackedLayout(paddingMask: mask)
        let qkv = Tensor.randn([3, 4, 24], using: &rng), gout = Tensor.randn([3, 4, 8], using: &rng)
        func attend(_ x: Tensor, layout: PackedLayout? = nil, mask: Mask? = nil) -> Tensor {
            var g = RandomGenerator(seed: 0)
            return scaledDotProductAttention(packedQKV: x, heads: 2, layout: layout, keyPaddingMask: mask, generator: &g).output
        }
        let padded = valueAndGrad(at: [qkv]) { x in sum(mul(pack(attend(x[0], mask: mask), layout), pack(gout, layout))) }
        let packedQKV = pack(qkv, layout)
        let packed = valueAndGrad(at: [packedQKV]) { x in sum(mul(attend(x[0], layout: layout), pack(gout, layout))) }
        assertClose(packed.0, padded.0, "value")
        assertClose(unpack(packed.1[0], layout), padded.1[0], "gradient")
        checkGradientsNumerically([packedQKV]) { x in attend(x[0], layout: layout) }
    }

    /// `linear(rows:)` equals linear through a sliced weight; its weight/bias gradients are zero outside the rows.
    func testLinearThroughWeightRows() {
        var rng = RandomGenerator(seed: 5)
        let x = Tensor.randn([2, 3, 4], using: &rng), w = Tensor.randn([9, 4], using: &rng), b = Tensor.randn([9], using: &rng)
        let rows = 3..<7
        let viaRows = valueAndGrad(at: [x, w, b]) { t in sum(linear(t[0], weight: t[1], bias: t[2], rows: rows)) }
        let viaSlice = valueAndGrad(at: [x, w, b]) { t in
            sum(linear(t[0], weight: slice(t[1], axis: 0, rows), bias: slice(t[2], axis: 0, rows)))
        }
        assertClose(viaRows.0, viaSlice.0, "value")
        for i in 0..<3 { assertClose(viaRows.1[i], viaSlice.1[i], "gradient \(i)") }
        checkGradientsNumerically([x, w, b]) { t in linear(t[0], weight: t[1], bias: t[2], rows: rows) }
    }
}
