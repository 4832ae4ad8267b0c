import Tensors
print(matmul(Tensor(shape: [2,2], [1,2,3,4]), Tensor(shape: [2,2], [1,0,0,1])))
