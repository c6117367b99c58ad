import DiodePhysics
import DiodeMPI
import DiodeHDF5
public enum DiodeScanPlaceholder {}
