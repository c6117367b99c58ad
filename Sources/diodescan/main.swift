import DiodeMPI
import DiodeHDF5
print(mpiWorldForLinkCheck() != nil, hdf5DoubleForLinkCheck())
