/** The image types the predict routes accept as a body or an uploaded file, and the dashboard offers. */
export const IMAGE_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/bmp'];
