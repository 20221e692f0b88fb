/**
 * `@lguest/x86`: an i686 protected-mode CPU. So far only the translation interface is defined.
 */
export {
  ACCESS_FETCH,
  ACCESS_READ,
  ACCESS_WRITE,
  type Access,
  createTranslation,
  isTranslateFault,
  PF_FETCH,
  PF_PRESENT,
  PF_RESERVED,
  PF_USER,
  PF_WRITE,
  type TlbInvalidator,
  TRANSLATE_FAULT,
  type Translation,
  type TranslationProvider,
} from './translation.js';
