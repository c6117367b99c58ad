import DiodeMPI
import DiodeHDF5
print("diodescan: MPI initialized =", MPIEnvironment.isInitialized)
