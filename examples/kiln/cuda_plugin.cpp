// The `cuda` backend as a plugin of the kiln tool (backend_plugins.hpp). Everything it holds
// comes from kiln::cuda, whose registration object registers the backend when the tool loads
// this module; the file itself only gives the module a source of its own.
