public enum DiodePhysicsPlaceholder {}
