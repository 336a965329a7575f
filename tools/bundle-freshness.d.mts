/** The bundle exists and every input in its inputs.json has the size and mtime it had when made. */
export declare function bundleIsCurrent(root: URL): boolean;
