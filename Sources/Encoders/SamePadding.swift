import Tensors

/// 2-D convolution with TensorFlow's "SAME" padding, as the EfficientNet PyTorch port's
/// `Conv2dStaticSamePadding` applies it: the output has `⌈size / stride⌉` positions per axis, and the total
/// padding `max((out − 1)·stride + kernel − size, 0)` is split `total / 2` before and the rest after, so a
/// stride-2 layer on an even size pads one more row and column at the bottom and right than at the top and
/// left. The extra rows and columns are joined as zeros with `concat`, so the op is differentiable.
/// `x` is [N, C, H, W], `weight` [O, C/groups, k, k], `bias` [O].
public func conv2dSamePadding(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, groups: Int = 1) -> Tensor {
    precondition(x.rank == 4 && weight.rank == 4, "conv2dSamePadding: input \(x.shape) and weight \(weight.shape) must be 4-D")
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (top, bottom) = samePadding(size: h, kernel: weight.shape[2], stride: stride)
    let (left, right) = samePadding(size: w, kernel: weight.shape[3], stride: stride)
    var padded = x
    if bottom > top { padded = concat([padded, Tensor(zeros: [n, c, bottom - top, w])], axis: 2) }
    if right > left { padded = concat([padded, Tensor(zeros: [n, c, padded.shape[2], right - left])], axis: 3) }
    return conv2d(padded, weight: weight, bias: bias, stride: (stride, stride), padding: (top, left), groups: groups)
}

/// TensorFlow "SAME" padding before and after along one axis of `size` positions.
public func samePadding(size: Int, kernel: Int, stride: Int) -> (before: Int, after: Int) {
    let out = (size + stride - 1) / stride
    let total = Swift.max((out - 1) * stride + kernel - size, 0)
    return (total / 2, total - total / 2)
}
