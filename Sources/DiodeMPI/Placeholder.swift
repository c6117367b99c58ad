import CMPI
public func mpiWorldForLinkCheck() -> MPI_Comm { cmpi_comm_world() }
